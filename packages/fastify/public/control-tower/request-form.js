// The request form: route from the live routes, selector and target, tags, timeout, a JSON payload
// checked as it is typed. Submitting hands a request body to `send`.
import { $, h } from './dom.js';
import { agents, config, upAgents } from './state.js';

const routeSel = $('route');
const selectorSel = $('selector');
const targetSel = $('target');
const payloadBox = $('payload');

/** Wires the form; `send(body)` receives `{ route, payload, selector, target?, tags?, timeout? }`. */
export function setupForm(send) {
  if (config.readOnly) {
    $('request-form').hidden = true;
    $('readonly-note').hidden = false;
    return;
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
    const body = { route: routeSel.value, payload: parsePayload().value, selector: selectorSel.value };
    if (selectorSel.value === 'target') body.target = targetSel.value;
    const tags = $('tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    const timeout = Number($('timeout').value);
    if (Number.isInteger(timeout) && timeout > 0) body.timeout = Math.min(timeout, config.maxTimeout);
    send(body);
  });
  renderRouteChoices();
}

/** Refreshes the route and target lists from the live agents, keeping the current choices. */
export function renderRouteChoices() {
  const serving = new Map();
  for (const a of upAgents()) for (const r of a.routes) serving.set(r, (serving.get(r) || 0) + 1);
  const routes = [...serving.keys()].sort();
  if (routes.length === 0) routeSel.replaceChildren(h('option', { value: '', text: 'no route is served right now' }));
  else setOptions(routeSel, routes, routes.map((r) => `${r}   (${serving.get(r)} agent${serving.get(r) > 1 ? 's' : ''})`));
  renderTargets();
}

/** Points the form at one agent (a click on its row). */
export function targetAgent(identity) {
  const a = agents.get(identity);
  if (!a || a.state !== 'up' || config.readOnly) return;
  if (!a.routes.includes(routeSel.value) && a.routes.length) routeSel.value = [...a.routes].sort()[0];
  selectorSel.value = 'target';
  renderTargets();
  targetSel.value = identity;
  updateSendState();
  payloadBox.focus();
}

function setOptions(select, values, labels) {
  const keep = select.value;
  select.replaceChildren(...values.map((v, i) => h('option', { value: v, text: labels ? labels[i] : v })));
  if (values.includes(keep)) select.value = keep;
}

function renderTargets() {
  const ids = upAgents().filter((a) => a.routes.includes(routeSel.value)).map((a) => a.identity).sort();
  setOptions(targetSel, ids);
  targetSel.disabled = selectorSel.value !== 'target';
  updateSendState();
}

/** The payload: `{ ok, value }` (empty text sends null) or `{ ok: false, message }`. */
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
