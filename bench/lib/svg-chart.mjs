// Tiny dependency-free SVG line charts for the bench scripts (written next to BENCHMARKS.md).
//   lineChart({ title, xLabel, yLabel, series: [{ name, points: [[x, y], ...] }], logX?, logY? }) -> string
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(min, max, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) for (const m of [1, 2, 5]) out.push(m * 10 ** e);
    return out.filter((t) => t >= min / 1.0001 && t <= max * 1.0001);
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const out = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-9; t += nice) out.push(+t.toPrecision(12));
  return out;
}
const fmt = (v) => (Math.abs(v) >= 1e6 ? `${+(v / 1e6).toPrecision(3)}M` : Math.abs(v) >= 1e3 ? `${+(v / 1e3).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

/** A line chart as an SVG document. */
export function lineChart({ title, xLabel, yLabel, series, logX = false, logY = false, width = 940, height = 420, yMin }) {
  const m = { l: 70, r: 380, t: 40, b: 50 };
  const pts = series.flatMap((s) => s.points);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [yMin ?? (logY ? Math.min(...ys) : 0), Math.max(...ys)];
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) y1 = y0 + 1;
  const tx = (v) => m.l + ((logX ? Math.log10(v) - Math.log10(x0) : v - x0) / (logX ? Math.log10(x1) - Math.log10(x0) : x1 - x0)) * (width - m.l - m.r);
  const ty = (v) => height - m.b - ((logY ? Math.log10(v) - Math.log10(y0) : v - y0) / (logY ? Math.log10(y1) - Math.log10(y0) : y1 - y0)) * (height - m.t - m.b);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`];
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`, `<text x="${width / 2 - m.r / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const t of ticks(x0, x1, logX)) out.push(`<line x1="${tx(t)}" x2="${tx(t)}" y1="${m.t}" y2="${height - m.b}" stroke="#eee"/><text x="${tx(t)}" y="${height - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of ticks(y0, y1, logY)) out.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${ty(t)}" y2="${ty(t)}" stroke="#eee"/><text x="${m.l - 6}" y="${ty(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.l + (width - m.l - m.r) / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + (height - m.t - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = s.color ?? COLORS[i % COLORS.length];
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${tx(p[0]).toFixed(1)},${ty(p[1]).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (s.points.length <= 12) for (const p of s.points) out.push(`<circle cx="${tx(p[0]).toFixed(1)}" cy="${ty(p[1]).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<line x1="${width - m.r + 12}" x2="${width - m.r + 36}" y1="${m.t + 10 + i * 20}" y2="${m.t + 10 + i * 20}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${width - m.r + 42}" y="${m.t + 14 + i * 20}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Replaces the section that starts with `heading` (up to the next "## ") in a markdown text, or appends it. */
export function replaceSection(md, heading, body) {
  const start = md.indexOf(`${heading}\n`);
  if (start < 0) return `${md.trimEnd()}\n\n${body.trimEnd()}\n`;
  const next = md.indexOf('\n## ', start + heading.length);
  return md.slice(0, start) + body.trimEnd() + '\n' + (next < 0 ? '' : md.slice(next));
}
