// Sends a request and shows its answer as it streams in (NDJSON: start, progress, result, end),
// one line per agent, newest request on top.
import { askToken, authHeaders } from './auth.js';
import { $, h, short, showJson, split } from './dom.js';
import { apiUrl } from './state.js';

const KEEP = 30; // requests kept on the page
let seq = 0;

/** Wires the Clear button. */
export function setupResults() {
  $('clear-results').addEventListener('click', () => {
    $('results').replaceChildren();
    $('results-empty').hidden = false;
  });
}

/** POSTs `body` to api/request and renders the answer stream into a new card. */
export async function sendRequest(body) {
  const card = newCard(body);
  const post = () => fetch(apiUrl('request'), { method: 'POST', headers: authHeaders({ 'content-type': 'application/json' }), body: JSON.stringify(body) });
  try {
    let res = await post();
    if (res.status === 401) {
      await askToken('Sending requests needs the token.');
      res = await post();
    }
    if (!res.ok || !res.body) {
      const err = await res.json().catch(() => ({ message: res.statusText }));
      card.fail(`HTTP ${res.status}: ${err.message || res.statusText}`);
      return;
    }
    for await (const line of split(res.body, '\n')) if (line.trim()) card.line(JSON.parse(line));
    card.finish();
  } catch (err) {
    card.fail(`connection lost: ${err.message}`);
  }
}

function newCard(body) {
  const status = h('span', { class: 'pill run', 'data-role': 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' running');
  const when = h('span', { class: 'when', text: new Date().toLocaleTimeString() });
  const outcomes = h('ol', { class: 'outcomes' });
  const how = body.selector === 'target' ? `target ${body.target}` : body.selector;
  const li = h('li', { class: 'request', 'data-request': ++seq, 'data-done': 'false' },
    h('div', { class: 'request-head' },
      h('span', { class: 'route', text: body.route }),
      h('span', { class: 'sel', text: `${how}${body.tags ? ` · tags ${body.tags.join(', ')}` : ''}` }),
      status, when),
    outcomes);
  const list = $('results');
  list.prepend(li);
  $('results-empty').hidden = true;
  while (list.children.length > KEEP) list.lastElementChild.remove();

  const byAgent = new Map();
  const outcomeRow = (agent) => {
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
  };

  let finished = false;
  const done = (pillClass, text) => {
    li.dataset.done = 'true';
    status.className = `pill ${pillClass}`;
    status.replaceChildren(text);
  };
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
        done(m.failed ? 'bad' : 'ok', m.failed ? `${m.ok} ok · ${m.failed} failed` : `${m.ok} ok`);
        when.textContent = `${new Date().toLocaleTimeString()} · ${m.ms} ms`;
      }
    },
    finish() {
      if (!finished) this.fail('the answer stream ended early');
    },
    fail(message) {
      done('bad', 'failed');
      outcomes.append(h('li', { class: 'outcome', 'data-ok': 'false' }, h('span', { class: 'who', text: 'tower' }), h('div', { class: 'body', text: message }), h('span')));
    },
  };
}
