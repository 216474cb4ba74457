#!/usr/bin/env node
// What a burst of suspicions costs a mapper following many agents (memory://, in-process, each
// round in a fresh process): N agents ping every second, half of them ping 650 ms late once
// (suspect: out of dispatch), then on time again (back at once). With --base=<dir of another built
// @nanite/core> the rounds alternate between that build and this one, and the table gives ratios.
//   node bench/suspicion-burst.bench.mjs [--agents=10000] [--rounds=3] [--base=/path/to/packages/core] [--write]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceSection } from './lib/svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const agents = Number(args.agents ?? 10_000);
const rounds = Number(args.rounds ?? 3);
const builds = [...(args.base ? [['base', args.base]] : []), ['this build', join(root, 'packages', 'core')]];
const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');

const results = new Map(builds.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, dir] of builds) {
    const out = execFileSync(process.execPath, [join(here, 'scale', 'suspicion-burst.cjs'), dir, String(agents)], { encoding: 'utf8' });
    const res = JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT ')).slice(7));
    results.get(name).push(res);
    console.error(name, res);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (name) => {
  const rs = results.get(name);
  return { cpu: med(rs.map((x) => x.cpuMs)), delay: med(rs.map((x) => x.maxDelayMs)), adv: med(rs.map((x) => x.advertises)), suspects: med(rs.map((x) => x.suspects)), up: med(rs.map((x) => x.up)) };
};
const mine = row('this build');
const base = args.base ? row('base') : undefined;
const lines = [
  '## Suspicion burst',
  '',
  `Run: \`node bench/suspicion-burst.bench.mjs --agents=${agents} --rounds=${rounds}${args.base ? ' --base=<main built elsewhere>' : ''} --write\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, load average ${load0} at the start (2 cores shared with other work).`,
  '',
  `One mapper on memory:// follows ${agents.toLocaleString('en-US')} agents (bare links that answer an Advertise with a Register, as agents do) pinging every second; half of them ping 650 ms late once: the roster suspects them (out of dispatch) and takes them back on their next Ping. Cost over the 4 s around the burst, whole process (agents' sends included), median of ${rounds} rounds${args.base ? ', builds alternating' : ''}.`,
  '',
  '| build | suspicions | up after | CPU | worst event-loop delay | Advertises sent (each answered by a Register) |',
  '|---|---:|---:|---:|---:|---:|',
  ...(base ? [`| base | ${base.suspects} | ${base.up} | ${base.cpu.toFixed(0)} ms | ${base.delay.toFixed(0)} ms | ${base.adv} |`] : []),
  `| this build | ${mine.suspects} | ${mine.up} | ${mine.cpu.toFixed(0)} ms${base ? ` (${(mine.cpu / base.cpu).toFixed(2)}×)` : ''} | ${mine.delay.toFixed(0)} ms${base ? ` (${(mine.delay / base.delay).toFixed(2)}×)` : ''} | ${mine.adv} |`,
  '',
];
console.log(lines.join('\n'));
if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), '## Suspicion burst', lines.join('\n')));
}
