#!/usr/bin/env node
// A/B of two builds of Nanite over amqp://, interleaved in one run (is a change a regression?).
//   node bench/amqp/ab.mjs --old=<checkout> [--payload=100] [--rounds=12] [--seconds=3] [--raw]
// `--old` is another checkout of this repository with its dependencies installed and @nanite/core
// built (e.g. `git worktree add /tmp/old <rev> && cd /tmp/old && npm ci && npx turbo run build
// --filter=@nanite/core`); its own bench/amqp scripts and core are run. "new" is this checkout.
// `--raw` adds raw amqplib's pair. The order is balanced from round to round (pair.mjs); prints the
// medians and how many rounds "new" was ahead of "old" (req/s at or above, latency at or below).
// It compares what users see (req/s at 1/64/256, latency); for the CPU time per request of each
// process of two builds, use `cpu.mjs --base=<checkout>`.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { balanced, median, removeNaniteBench, runPair, versus } from './pair.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
if (!args.old) {
  process.stderr.write('usage: node bench/amqp/ab.mjs --old=<checkout with core built> [--payload=100] [--rounds=12] [--seconds=3] [--raw]\n');
  process.exit(2);
}
const oldDir = join(resolve(args.old), 'bench', 'amqp');
if (!existsSync(join(resolve(args.old), 'packages', 'core', 'dist', 'index.js'))) throw new Error(`${args.old}: @nanite/core is not built there`);
const size = String(Number(args.payload ?? 100));
const rounds = Number(args.rounds ?? 12);
const seconds = String(Number(args.seconds ?? 3));
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;

const nanite = (id, dir) => {
  const u = `${url}${url.includes('?') ? '&' : '?'}prefix=bench-ab-${id}-${run}`;
  return { id, dir, prefix: `bench-ab-${id}-${run}`, server: ['nanite.server.js', u], client: ['nanite.client.js', u, 'nanite'] };
};
const systems = [nanite('old', oldDir), nanite('new', here)];
if (args.raw) systems.push({ id: 'raw', dir: here, server: ['raw.server.js', url, `bench-ab-raw-${run}`], client: ['raw.client.js', url, `bench-ab-raw-${run}`] });

const samples = Object.fromEntries(systems.map((s) => [s.id, []]));
for (let round = 0; round < rounds; round++) {
  for (const s of balanced(systems, round)) {
    const r = await runPair({ label: s.id, server: s.server, client: s.client, dir: s.dir, env: { NANITE_LOG_LEVEL: 'error', BENCH_PAYLOAD: size }, clientEnv: { BENCH_SECONDS: seconds } });
    samples[s.id].push(r);
    process.stderr.write(`ab: round ${round + 1}/${rounds} ${s.id}: ${JSON.stringify(r)}\n`);
  }
}
for (const s of systems) if (s.prefix) await removeNaniteBench(url, s.prefix);

const keys = [
  ['c1', 'req/s @1', false],
  ['c64', 'req/s @64', false],
  ['c256', 'req/s @256', false],
  ['p50us', 'p50 @1 (µs)', true],
  ['p99us', 'p99 @1 (µs)', true],
];
const lines = [
  `A/B, ${size} B, ${rounds} rounds of ${seconds} s, old = ${resolve(args.old)}, ${new Date().toISOString().slice(0, 16)}Z:`,
  '',
  `| build | ${keys.map(([, name]) => name).join(' | ')} |`,
  `|---|${keys.map(() => '---|').join('')}`,
  ...systems.map((s) => `| ${s.id} | ${keys.map(([k]) => Math.round(median(samples[s.id].map((r) => r[k])))).join(' | ')} |`),
  `| new ahead of old (rounds) | ${keys.map(([k, , lower]) => `${versus(samples.new, samples.old, k, lower).ahead}/${rounds}`).join(' | ')} |`,
];
process.stdout.write(`\n${lines.join('\n')}\n`);
