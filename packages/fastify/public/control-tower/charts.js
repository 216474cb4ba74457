// Traffic charts: request rate, errors and p50/p99 latency per route, and a load sparkline per
// agent, drawn on <canvas> by this script from the `traffic` events (one per second). No library.
/* global getComputedStyle */
import { $, h } from './dom.js';

/** Seconds shown; the server sends at most its own window on connect. */
const WINDOW = 120;
// Saturated series colors (the grid and labels use the theme's muted colors).
const PALETTE = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#9333ea', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5'];

/** The seconds received, oldest first: { t, routes: [route, count, errors, p50, p99][], agents: [identity, up, inFlight, pending, load][] }. */
const ticks = [];
/** route -> palette color, in order of first appearance (stable while the page lives). */
const colors = new Map();

const colorOf = (route) => {
  if (!colors.has(route)) colors.set(route, PALETTE[colors.size % PALETTE.length]);
  return colors.get(route);
};

/** Replaces the history (on every (re)connection). */
export function setHistory(list) {
  ticks.length = 0;
  for (const t of list) ticks.push(t);
  trim();
  draw();
}

/** Adds one second. */
export function addTick(tick) {
  ticks.push(tick);
  trim();
  draw();
}

function trim() {
  while (ticks.length > WINDOW) ticks.shift();
}

/** Redraws every chart (also on resize). */
export function draw() {
  const routes = new Set();
  for (const t of ticks) for (const r of t.routes) routes.add(r[0]);
  for (const r of routes) colorOf(r);
  const series = (index) => [...routes].map((route) => ({ route, color: colorOf(route), values: ticks.map((t) => t.routes.find((r) => r[0] === route)?.[index] ?? null) }));
  const zeroFilled = (list) => list.map((s) => ({ ...s, values: s.values.map((v) => v ?? 0) }));
  lineChart($('chart-rate'), zeroFilled(series(1)), { unit: '/s' });
  lineChart($('chart-errors'), zeroFilled(series(2)), { unit: '/s' });
  lineChart($('chart-latency'), [...series(3), ...series(4).map((s) => ({ ...s, dashed: true }))], { unit: 'ms' });
  renderLegend([...routes]);
  renderSparklines();
  const last = ticks.at(-1);
  $('traffic-now').textContent = last ? `${last.routes.reduce((n, r) => n + r[1], 0)} req/s now` : '';
}

/** A canvas sized to its CSS box at the device's pixel ratio; returns its context and size in CSS px. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 120;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

function theme() {
  const css = getComputedStyle(document.documentElement);
  return { grid: css.getPropertyValue('--line').trim() || '#ddd', text: css.getPropertyValue('--muted').trim() || '#666', bad: css.getPropertyValue('--bad').trim() || '#dc2626' };
}

/** A rounded-up axis maximum (1, 2, 5 × 10^n). */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v);
}

function lineChart(canvas, list, { unit }) {
  const { ctx, width, height } = prepare(canvas);
  const { grid, text } = theme();
  const pad = { left: 40, right: 6, top: 6, bottom: 14 };
  const w = width - pad.left - pad.right;
  const hh = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...list.flatMap((s) => s.values.filter((v) => v !== null))));
  ctx.font = '10px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 2; i++) {
    const y = pad.top + hh - (hh * i) / 2;
    ctx.strokeStyle = grid;
    ctx.beginPath();
    ctx.moveTo(pad.left, y + 0.5);
    ctx.lineTo(pad.left + w, y + 0.5);
    ctx.stroke();
    ctx.fillStyle = text;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(`${+((max * i) / 2).toPrecision(3)}${i === 2 ? ` ${unit}` : ''}`, pad.left - 4, y);
  }
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(`-${WINDOW}s`, pad.left, height - 2);
  ctx.textAlign = 'right';
  ctx.fillText('now', pad.left + w, height - 2);
  // Newest second at the right edge; one x step per second of the window.
  const x = (i, n) => pad.left + w - ((n - 1 - i) * w) / (WINDOW - 1);
  const y = (v) => pad.top + hh - (hh * v) / max;
  for (const s of list) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(x(i, s.values.length), y(v));
      else ctx.moveTo(x(i, s.values.length), y(v));
      pen = true;
    });
    ctx.stroke();
    // A second with neighbours missing on both sides has no line to be part of: draw it as a dot.
    ctx.fillStyle = s.color;
    s.values.forEach((v, i) => {
      if (v !== null && (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null) ctx.fillRect(x(i, s.values.length) - 2, y(v) - 2, 4, 4);
    });
  }
  ctx.setLineDash([]);
}

function renderLegend(routes) {
  const legend = $('chart-legend');
  const items = routes.map((route) => h('li', { 'data-route': route }, h('span', { class: 'swatch', style: { background: colorOf(route) } }), route));
  legend.replaceChildren(...items);
  $('traffic-empty').hidden = routes.length > 0;
}

/** One sparkline per agent: in flight + pending per second, red where it was down. */
function renderSparklines() {
  const list = $('sparklines');
  const identities = [];
  for (const t of ticks) for (const a of t.agents) if (!identities.includes(a[0])) identities.push(a[0]);
  const existing = new Map([...list.children].map((li) => [li.dataset.agent, li]));
  const items = identities.map((identity) => {
    let li = existing.get(identity);
    if (!li) li = h('li', { 'data-agent': identity }, h('span', { class: 'spark-name', text: identity }), h('canvas', { class: 'spark', width: 160, height: 28 }), h('span', { class: 'spark-value num' }));
    const points = ticks.map((t) => t.agents.find((a) => a[0] === identity));
    const last = points.at(-1);
    li.dataset.state = last ? (last[1] ? 'up' : 'down') : 'gone';
    li.querySelector('.spark-value').textContent = last ? (last[1] ? `${last[2] + last[3]} busy` : 'down') : 'gone';
    sparkline(li.querySelector('canvas'), points);
    return li;
  });
  list.replaceChildren(...items);
}

function sparkline(canvas, points) {
  const { ctx, width, height } = prepare(canvas);
  const { grid, bad } = theme();
  const n = points.length;
  const max = niceMax(Math.max(1, ...points.map((p) => (p ? p[2] + p[3] : 0))));
  const x = (i) => width - 1 - ((n - 1 - i) * (width - 2)) / (WINDOW - 1);
  const step = (width - 2) / (WINDOW - 1);
  ctx.fillStyle = bad;
  points.forEach((p, i) => {
    if (p && !p[1]) ctx.fillRect(x(i) - step / 2, 0, Math.max(1, step), height);
  });
  ctx.strokeStyle = grid;
  ctx.beginPath();
  ctx.moveTo(0, height - 0.5);
  ctx.lineTo(width, height - 0.5);
  ctx.stroke();
  ctx.strokeStyle = PALETTE[0];
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let pen = false;
  points.forEach((p, i) => {
    if (!p || !p[1]) {
      pen = false;
      return;
    }
    const y = height - 2 - ((height - 4) * (p[2] + p[3])) / max;
    if (pen) ctx.lineTo(x(i), y);
    else ctx.moveTo(x(i), y);
    pen = true;
  });
  ctx.stroke();
}

window.addEventListener('resize', () => draw());
