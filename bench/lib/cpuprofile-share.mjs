#!/usr/bin/env node
// Share of busy (non-idle) time of a V8 .cpuprofile by category, then by function, over its last N seconds:
//   node bench/lib/cpuprofile-share.mjs file.cpuprofile [lastSeconds=6] [rows=30]
// Categories: native calls (native:<name>), node internals (node), amqplib, core's amqp transport
// (core/amqp), the rest of core (core/other), V8's (program) and (garbage collector), other files.
import { readFileSync } from 'node:fs';

const [file, last = '6', rows = '30'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(p.nodes.map((n) => [n.id, n]));
let t = p.startTime;
const times = p.timeDeltas.map((d) => (t += d));
const from = p.endTime - Number(last) * 1e6;
const byCategory = new Map();
const byFrame = new Map();
let busy = 0;
let idle = 0;
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
for (let i = 0; i < p.samples.length; i++) {
  if (times[i] < from) continue;
  const cf = nodes.get(p.samples[i]).callFrame;
  const dt = (i + 1 < times.length ? times[i + 1] : p.endTime) - times[i];
  if (cf.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  busy += dt;
  const u = cf.url;
  const category = u.includes('amqplib') ? 'amqplib'
    : u.includes('transport/amqp') ? 'core/amqp'
    : u.includes('packages/core') || u.includes('@nanite') ? 'core/other'
    : u.startsWith('node:') ? 'node'
    : u === '' ? (cf.functionName.startsWith('(') ? cf.functionName : `native:${cf.functionName}`)
    : `other:${u.split('/').slice(-2).join('/')}`;
  add(byCategory, category, dt);
  add(byFrame, `${cf.functionName || '(anonymous)'} ${u.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`, dt);
}
const pct = (v) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`;
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (last ${last} s)`);
for (const [k, v] of [...byCategory].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(v)}  ${k}`);
console.log('--');
for (const [k, v] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) console.log(`${pct(v)}  ${k}`);
