// The agents table and the counters in the top bar. Rows are keyed by identity and updated in
// place; down agents sort last, dimmed, until the server removes them.
import { $, ago, h } from './dom.js';
import { agents, config, serverNow, upAgents } from './state.js';

const rows = new Map(); // identity -> <tr>
/** Row order by state: live first, then doubted, gone, retired. */
const ORDER = ['up', 'suspect', 'down', 'removed'];

/** The badge next to an agent that is not plainly up. */
function badge(a) {
  if (a.state === 'suspect') return 'suspect · no new work';
  if (a.state === 'removed') return 'removed';
  return `down · ${a.downReason || 'gone'}`;
}

/** The agent's endpoint and certificate subject under its identity, when it has them. */
function details(a) {
  if (!a.endpoint && !a.subject) return null;
  return h('div', { class: 'agent-details muted' },
    a.endpoint ? h('span', { 'data-role': 'endpoint', title: 'SP endpoint (direct mode)', text: a.endpoint }) : null,
    a.subject ? h('span', { 'data-role': 'subject', title: 'certificate subject, verified by this mapper', text: a.subject }) : null);
}

/**
 * Draws the table. `onPick(identity)` runs when an up agent's row is clicked; `flash` briefly
 * highlights a row (an agent that just came up).
 */
export function renderAgents(onPick, flash) {
  for (const [id, tr] of rows) {
    if (!agents.has(id)) {
      tr.remove();
      rows.delete(id);
    }
  }
  const body = $('agent-rows');
  const list = [...agents.values()].sort((a, b) => (a.state === b.state ? a.identity.localeCompare(b.identity) : ORDER.indexOf(a.state) - ORDER.indexOf(b.state)));
  let shown = 0;
  for (const a of list) {
    let tr = rows.get(a.identity);
    if (!tr) {
      tr = h('tr', { 'data-agent': a.identity });
      tr.addEventListener('click', () => onPick(tr.dataset.agent));
      rows.set(a.identity, tr);
    }
    fillRow(tr, a);
    tr.hidden = !matchesFilter(a);
    if (!tr.hidden) shown++;
    body.append(tr); // re-appending keeps the rows in sorted order
    if (flash === a.identity) {
      tr.classList.remove('flash');
      void tr.offsetWidth; // restart the animation
      tr.classList.add('flash');
    }
  }
  $('agents-empty').hidden = shown > 0;
  $('agents-empty').textContent = agents.size === 0 ? 'Waiting for agents to register…' : 'No agent matches the filter.';
  renderSummary();
}

/** Refreshes the "last heartbeat" column (called every second). */
export function refreshAges() {
  for (const [id, tr] of rows) {
    const a = agents.get(id);
    if (a) fillSeen(tr, a);
  }
}

function matchesFilter(a) {
  const q = $('filter').value.trim().toLowerCase();
  if (!q) return true;
  return [a.identity, ...a.routes, ...a.tags, a.version ?? ''].some((s) => s.toLowerCase().includes(q));
}

function fillRow(tr, a) {
  const up = a.state === 'up';
  tr.dataset.state = a.state;
  tr.title = up ? 'Click to send the next request to this agent' : '';
  const load = Math.max(0, a.load);
  // A down agent's last load means nothing any more: grey bar, no number.
  const level = a.state === 'down' || a.state === 'removed' ? 'down' : load >= 0.85 ? 'hot' : load >= 0.6 ? 'warn' : 'ok';
  const sorted = [...a.routes].sort();
  const routes = sorted.slice(0, 4).map((r) => h('span', { class: 'chip', text: r }));
  if (sorted.length > 4) routes.push(h('span', { class: 'chip more', title: sorted.join('\n'), text: `+${sorted.length - 4} more` }));
  tr.replaceChildren(
    h('td', {},
      h('div', { class: 'agent' },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'id', text: a.identity }),
        a.version ? h('span', { class: 'chip version', 'data-role': 'version', title: 'software version the agent advertised', text: a.version }) : null,
        a.node ? h('span', { class: 'muted', 'data-role': 'node', title: 'broker node', text: ` @ ${a.node}` }) : null,
        up ? null : h('span', { class: 'state-badge', 'data-role': 'state', text: badge(a) })),
      details(a)),
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
  if (a.state === 'down' || a.state === 'removed') {
    cell.textContent = `${a.state} ${ago(serverNow() - a.downAt)}`;
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
  const up = upAgents();
  const down = agents.size - up.length;
  $('count-up').textContent = String(up.length);
  $('count-down').textContent = String(down);
  $('count-routes').textContent = String(new Set(up.flatMap((a) => a.routes)).size);
  $('count-inflight').textContent = String(up.reduce((n, a) => n + a.inFlight, 0));
  document.title = `${up.length} up${down ? `, ${down} down` : ''} · ${config.title}`;
}
