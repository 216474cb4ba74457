#!/usr/bin/env node
// Self time by function of a V8 .cpuprofile (node --cpu-prof), highest first:
//   node bench/lib/cpuprofile-top.mjs file.cpuprofile [rows=25]
import { readFileSync } from 'node:fs';

const [file, rows = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (const id of profile.samples) {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
for (const [key, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) console.log(`${((100 * n) / total).toFixed(1).padStart(5)} %  ${key}`);
