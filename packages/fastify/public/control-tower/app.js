// Nanite Control Tower page script: plain browser JavaScript, no framework, no build step.
// Agents arrive on a server-sent event stream (read with fetch so a bearer token can be sent);
// requests go out as POST api/request and their answer streams back as NDJSON lines.
/* global Node, sessionStorage, TextDecoderStream */
'use strict';

(() => {
  const config = JSON.parse(document.getElementById('tower-config').textContent);
  const $ = (id) => document.getElementById(id);
  const apiUrl = (path) => new URL(`api/${path}`, document.baseURI).toString();
  const TOKEN_KEY = 'nanite-control-tower-token';

  /** identity -> agent row from the server (with state 'up' | 'down'). */
  const agents = new Map();
  /** Server clock minus browser clock, from the last snapshot (for "last heartbeat" ages). */
  let clockOffset = 0;

  // ---- small DOM helper (text only: data never goes through innerHTML) --------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('data-')) el.setAttribute(k, String(v));
      else if (k === 'style') Object.assign(el.style, v); // CSSOM: allowed by the page's CSP, unlike style="" attributes
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 2) return 'just now';
    if (s < 60) return `${s}s ago`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${s % 60}s ago`;
    return `${Math.floor(m / 60)}h ${m % 60}m ago`;
  }
  const serverNow = () => Date.now() + clockOffset;
  const short = (v) => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? 'undefined' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
  };

  /** Short values on one line, longer ones indented. */
  function showJson(v) {
    const flat = JSON.stringify(v);
    if (flat === undefined) return 'undefined';
    return flat.length <= 100 ? flat : JSON.stringify(v, null, 2);
  }

  // ---- auth -----------------------------------------------------------------------------------
  function authHeaders(extra) {
    const headers = Object.assign({}, extra);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (config.auth === 'token' && token) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  let tokenPrompt = null;
  function askToken(message) {
    tokenPrompt ??= new Promise((resolve) => {
      const dialog = $('auth-dialog');
      $('auth-message').textContent = message;
      $('auth-form').onsubmit = (e) => {
        e.preventDefault();
        const value = $('auth-token').value.trim();
        if (!value) return;
        sessionStorage.setItem(TOKEN_KEY, value);
        dialog.close();
        tokenPrompt = null;
        resolve();
      };
      dialog.showModal();
      $('auth-token').focus();
    });
    return tokenPrompt;
  }

  // ---- connection state -----------------------------------------------------------------------
  function setConn(state, text) {
    $('conn').dataset.state = state;
    $('conn-text').textContent = text;
  }

  // ---- the event stream ----------------------------------------------------------------------
  async function followEvents() {
    let delay = 1000;
    for (;;) {
      try {
        const res = await fetch(apiUrl('events'), { headers: authHeaders({ accept: 'text/event-stream' }), cache: 'no-store' });
        if (res.status === 401 || res.status === 403) {
          setConn('unauthorized', res.status === 401 ? 'not signed in' : 'access denied');
          if (config.auth === 'token') {
            await askToken(sessionStorage.getItem(TOKEN_KEY) ? 'That token was refused. Try another.' : 'This Control Tower is protected. Enter its bearer token.');
            continue;
          }
          // Your auth hook refused us (e.g. no session yet): look again in a while.
          await new Promise((r) => setTimeout(r, 10000));
          continue;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        setConn('live', 'live');
        delay = 1000;
        await readSse(res.body, onEvent);
        setConn('reconnecting', 'server closed the stream, reconnecting…');
      } catch {
        setConn('reconnecting', 'offline, reconnecting…');
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }

  /** Reads `text/event-stream` framing: `event:` / `data:` lines, blank line ends an event, `:` comments. */
  async function readSse(body, handle) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
        if (data.length) handle(event, JSON.parse(data.join('\n')));
      }
    }
  }

  function onEvent(type, data) {
    switch (type) {
      case 'snapshot':
        clockOffset = data.now - Date.now();
        $('mapper-id').textContent = `via mapper ${data.mapper.identity}`;
        agents.clear();
        for (const a of data.agents) agents.set(a.identity, a);
        renderAgents();
        break;
      case 'agent:up':
      case 'agent:update':
      case 'agent:down':
        agents.set(data.identity, data);
        renderAgents(type === 'agent:up' ? data.identity : undefined);
        break;
      case 'agent:removed':
        agents.delete(data.identity);
        renderAgents();
        break;
    }
  }

  // ---- agents table --------------------------------------------------------------------------
  const rows = new Map(); // identity -> <tr>

  function sortedAgents() {
    return [...agents.values()].sort((a, b) => (a.state === b.state ? a.identity.localeCompare(b.identity) : a.state === 'up' ? -1 : 1));
  }

  function matchesFilter(a) {
    const q = $('filter').value.trim().toLowerCase();
    if (!q) return true;
    return [a.identity, ...a.routes, ...a.tags].some((s) => s.toLowerCase().includes(q));
  }

  function renderAgents(flash) {
    const body = $('agent-rows');
    const list = sortedAgents();
    for (const [id, tr] of rows) {
      if (!agents.has(id)) {
        tr.remove();
        rows.delete(id);
      }
    }
    let shown = 0;
    for (const a of list) {
      let tr = rows.get(a.identity);
      if (!tr) {
        tr = h('tr', { 'data-agent': a.identity });
        tr.addEventListener('click', () => targetAgent(tr.dataset.agent));
        rows.set(a.identity, tr);
      }
      fillRow(tr, a);
      tr.hidden = !matchesFilter(a);
      if (!tr.hidden) shown++;
      body.append(tr); // re-append keeps rows in sorted order
      if (flash === a.identity) {
        tr.classList.remove('flash');
        void tr.offsetWidth;
        tr.classList.add('flash');
      }
    }
    $('agents-empty').hidden = shown > 0;
    $('agents-empty').textContent = agents.size === 0 ? 'Waiting for agents to register…' : 'No agent matches the filter.';
    renderSummary();
    renderRouteChoices();
  }

  function fillRow(tr, a) {
    tr.dataset.state = a.state;
    tr.title = a.state === 'up' ? 'Click to send the next request to this agent' : '';
    const load = Math.max(0, a.load);
    const up = a.state === 'up';
    // A down agent's last load means nothing any more: grey bar, no number.
    const level = !up ? 'down' : load >= 0.85 ? 'hot' : load >= 0.6 ? 'warn' : 'ok';
    const sorted = [...a.routes].sort();
    const routes = sorted.slice(0, 4).map((r) => h('span', { class: 'chip', text: r }));
    if (sorted.length > 4) routes.push(h('span', { class: 'chip more', title: sorted.join('\n'), text: `+${sorted.length - 4} more` }));
    tr.replaceChildren(
      h('td', {},
        h('div', { class: 'agent' },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          h('span', { class: 'id', text: a.identity }),
          a.state === 'down' ? h('span', { class: 'state-badge', 'data-role': 'state', text: `down · ${a.downReason || 'gone'}` }) : null)),
      h('td', { class: 'col-load' },
        h('div', { class: 'load', title: `status ${a.status.toFixed(3)} + ${a.pending} pending from this mapper / concurrency ${a.concurrency}` },
          h('div', { class: 'bar', 'data-level': level, role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(load * 100), 'aria-label': `load of ${a.identity}` },
            h('span', { style: { width: `${Math.min(load, 1) * 100}%` } })),
          h('span', { class: 'pct', text: up ? `${Math.round(load * 100)}%` : '–' }))),
      h('td', { class: 'num', title: `${a.pending} sent by this mapper and not answered yet` },
        h('strong', { text: up ? String(a.inFlight) : '–' }), h('span', { class: 'muted', text: ` / ${a.concurrency}` })),
      h('td', {}, h('div', { class: 'chips' }, routes)),
      h('td', {}, h('div', { class: 'chips' }, a.tags.length ? a.tags.map((t) => h('span', { class: 'chip tag', text: t })) : h('span', { class: 'muted', text: '—' }))),
      h('td', { class: 'num seen', 'data-role': 'seen' }),
    );
    fillSeen(tr, a);
  }

  function fillSeen(tr, a) {
    const cell = tr.querySelector('[data-role="seen"]');
    if (!cell) return;
    if (a.state === 'down') {
      cell.textContent = `down ${ago(serverNow() - a.downAt)}`;
      cell.classList.remove('stale');
      cell.title = `last heard ${new Date(a.lastSeen).toLocaleTimeString()}`;
      return;
    }
    const age = serverNow() - a.lastSeen;
    cell.textContent = ago(age);
    cell.classList.toggle('stale', age > 2 * a.pingInterval);
    cell.title = `${new Date(a.lastSeen).toLocaleTimeString()} · pings every ${a.pingInterval / 1000}s`;
  }

  function renderSummary() {
    const up = [...agents.values()].filter((a) => a.state === 'up');
    $('count-up').textContent = String(up.length);
    $('count-down').textContent = String(agents.size - up.length);
    $('count-routes').textContent = String(new Set(up.flatMap((a) => a.routes)).size);
    $('count-inflight').textContent = String(up.reduce((n, a) => n + a.inFlight, 0));
  }

  setInterval(() => {
    for (const [id, tr] of rows) {
      const a = agents.get(id);
      if (a) fillSeen(tr, a);
    }
  }, 1000);
  $('filter').addEventListener('input', () => renderAgents());

  // ---- request form --------------------------------------------------------------------------
  const routeSel = $('route');
  const selectorSel = $('selector');
  const targetSel = $('target');
  const payloadBox = $('payload');

  function setOptions(select, values, labels) {
    const keep = select.value;
    select.replaceChildren(...values.map((v, i) => h('option', { value: v, text: labels ? labels[i] : v })));
    if (values.includes(keep)) select.value = keep;
  }

  function renderRouteChoices() {
    const serving = new Map();
    for (const a of agents.values()) {
      if (a.state !== 'up') continue;
      for (const r of a.routes) serving.set(r, (serving.get(r) || 0) + 1);
    }
    const routes = [...serving.keys()].sort();
    if (routes.length === 0) {
      routeSel.replaceChildren(h('option', { value: '', text: 'no route is served right now' }));
    } else {
      setOptions(routeSel, routes, routes.map((r) => `${r}   (${serving.get(r)} agent${serving.get(r) > 1 ? 's' : ''})`));
    }
    renderTargets();
  }

  function renderTargets() {
    const ids = [...agents.values()].filter((a) => a.state === 'up' && a.routes.includes(routeSel.value)).map((a) => a.identity).sort();
    setOptions(targetSel, ids);
    targetSel.disabled = selectorSel.value !== 'target';
    updateSendState();
  }

  function targetAgent(identity) {
    const a = agents.get(identity);
    if (!a || a.state !== 'up' || config.readOnly) return;
    if (!a.routes.includes(routeSel.value) && a.routes.length) routeSel.value = [...a.routes].sort()[0];
    selectorSel.value = 'target';
    renderTargets();
    targetSel.value = identity;
    updateSendState();
    payloadBox.focus();
  }

  /** The payload as JSON: `{ ok, value }`; empty text is null. */
  function parsePayload() {
    const text = payloadBox.value.trim();
    if (!text) return { ok: true, value: null, empty: true };
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (err) {
      return { ok: false, message: err.message };
    }
  }

  function updateSendState() {
    const p = parsePayload();
    const status = $('payload-status');
    status.dataset.valid = String(p.ok);
    status.textContent = p.ok ? (p.empty ? 'empty payload: sends null' : 'valid JSON') : `invalid JSON: ${p.message}`;
    payloadBox.setAttribute('aria-invalid', String(!p.ok));
    const needsTarget = selectorSel.value === 'target' && !targetSel.value;
    $('send').disabled = !p.ok || !routeSel.value || needsTarget;
  }

  routeSel.addEventListener('change', renderTargets);
  selectorSel.addEventListener('change', renderTargets);
  targetSel.addEventListener('change', updateSendState);
  payloadBox.addEventListener('input', updateSendState);
  payloadBox.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $('request-form').requestSubmit();
    }
  });
  $('format').addEventListener('click', () => {
    const p = parsePayload();
    if (p.ok && !p.empty) payloadBox.value = JSON.stringify(p.value, null, 2);
    updateSendState();
  });
  $('request-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if ($('send').disabled) return;
    const p = parsePayload();
    const body = { route: routeSel.value, payload: p.value, selector: selectorSel.value };
    if (selectorSel.value === 'target') body.target = targetSel.value;
    const tags = $('tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    const timeout = Number($('timeout').value);
    if (Number.isInteger(timeout) && timeout > 0) body.timeout = Math.min(timeout, config.maxTimeout);
    void sendRequest(body);
  });
  if (config.readOnly) {
    $('request-form').hidden = true;
    $('readonly-note').hidden = false;
  }

  // ---- results -------------------------------------------------------------------------------
  let requestSeq = 0;

  async function sendRequest(body) {
    const card = newCard(body);
    try {
      let res = await fetch(apiUrl('request'), { method: 'POST', headers: authHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
      if (res.status === 401) {
        await askToken('The request needs a token.');
        res = await fetch(apiUrl('request'), { method: 'POST', headers: authHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
      }
      if (!res.ok || !res.body) {
        const err = await res.json().catch(() => ({ message: res.statusText }));
        card.fail(`HTTP ${res.status}: ${err.message || res.statusText}`);
        return;
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) card.line(JSON.parse(line));
        }
      }
      card.finish();
    } catch (err) {
      card.fail(`connection lost: ${err.message}`);
    }
  }

  function newCard(body) {
    const id = ++requestSeq;
    const status = h('span', { class: 'pill run', 'data-role': 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' running');
    const when = h('span', { class: 'when', text: new Date().toLocaleTimeString() });
    const outcomes = h('ol', { class: 'outcomes' });
    const selLabel = body.selector === 'target' ? `target ${body.target}` : body.selector;
    const li = h('li', { class: 'request', 'data-request': id, 'data-done': 'false' },
      h('div', { class: 'request-head' },
        h('span', { class: 'route', text: body.route }),
        h('span', { class: 'sel', text: `${selLabel}${body.tags ? ` · tags ${body.tags.join(', ')}` : ''}` }),
        status, when),
      outcomes);
    $('results').prepend(li);
    $('results-empty').hidden = true;
    while ($('results').children.length > 30) $('results').lastElementChild.remove();

    const byAgent = new Map();
    function outcomeRow(agent) {
      const key = agent || '—';
      let row = byAgent.get(key);
      if (!row) {
        const el = h('li', { class: 'outcome', 'data-result-agent': key, 'data-ok': 'pending' },
          h('span', { class: 'who', text: key }),
          h('div', { class: 'body' }, h('div', { class: 'progress' }), h('div', { class: 'value muted', text: 'waiting…' })),
          h('span', { class: 'ms' }, h('span', { class: 'spinner', 'aria-hidden': 'true' })));
        row = { el, progress: new Map() };
        byAgent.set(key, row);
        outcomes.append(el);
      }
      return row;
    }

    let finished = false;
    return {
      line(m) {
        if (m.type === 'start' && m.agents) m.agents.forEach(outcomeRow);
        else if (m.type === 'progress') {
          const row = outcomeRow(m.agent);
          row.progress.set(m.key, m.value);
          row.el.querySelector('.progress').replaceChildren(...[...row.progress].map(([k, v]) => h('span', { class: 'chip', title: JSON.stringify(v), text: `${k}: ${short(v)}` })));
        } else if (m.type === 'result') {
          const row = outcomeRow(m.agent);
          row.el.dataset.ok = String(m.ok);
          const value = row.el.querySelector('.value');
          if (m.ok) value.replaceChildren(h('pre', { text: showJson(m.result) }));
          else value.replaceChildren(h('span', { class: 'err-code', text: m.error.code }), ' ', h('span', { text: m.error.message }));
          value.classList.remove('muted');
          row.el.querySelector('.ms').replaceChildren(`${m.ms} ms`);
        } else if (m.type === 'end') {
          finished = true;
          li.dataset.done = 'true';
          status.className = `pill ${m.failed ? 'bad' : 'ok'}`;
          status.replaceChildren(m.failed ? `${m.ok} ok · ${m.failed} failed` : `${m.ok} ok`);
          when.textContent = `${new Date().toLocaleTimeString()} · ${m.ms} ms`;
        }
      },
      finish() {
        if (!finished) this.fail('the answer stream ended early');
      },
      fail(message) {
        li.dataset.done = 'true';
        status.className = 'pill bad';
        status.replaceChildren('failed');
        outcomes.append(h('li', { class: 'outcome', 'data-ok': 'false' }, h('span', { class: 'who', text: 'tower' }), h('div', { class: 'body', text: message }), h('span')));
      },
    };
  }

  $('clear-results').addEventListener('click', () => {
    $('results').replaceChildren();
    $('results-empty').hidden = false;
  });

  renderRouteChoices();
  void followEvents();
})();
