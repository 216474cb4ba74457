// DOM and formatting helpers. Data only ever goes in as text (never through innerHTML).
/* global Node */

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Creates an element: `h('td', { class: 'num', text: '3' }, child, ...)`. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') Object.assign(el.style, v); // CSSOM: allowed by the page's CSP, unlike style="" attributes
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** "just now", "12s ago", "3m 4s ago", "2h 5m ago". */
export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 2) return 'just now';
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s ago`;
  return `${Math.floor(m / 60)}h ${m % 60}m ago`;
}

/** A value as a short one-line label. */
export function short(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** Short values on one line, longer ones indented. */
export function showJson(v) {
  const flat = JSON.stringify(v);
  if (flat === undefined) return 'undefined';
  return flat.length <= 100 ? flat : JSON.stringify(v, null, 2);
}

/** Yields the text of `body` (a fetch response stream) cut at `separator`. */
export async function* split(body, separator) {
  /* global TextDecoderStream */
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf(separator)) >= 0) {
      yield buffer.slice(0, cut);
      buffer = buffer.slice(cut + separator.length);
    }
  }
}
