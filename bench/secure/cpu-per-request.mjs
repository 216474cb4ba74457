#!/usr/bin/env node
// CPU time per request of the mapper and agent processes, plain vs secure mode over amqp://.
//   node bench/secure/cpu-per-request.mjs [--seconds=3] [--rounds=4] [--baseline=/path/to/other/checkout]
// Runs bench/amqp/nanite.{server,client}.js (the same request/response as bench/amqp/run.mjs:
// warm-up, then concurrency 1, 64 and 256) and reads each process's CPU time (user + system) when
// it exits. CPU time counts only what a process ran, not the time it waited for a core, so on a
// shared, loaded machine it is a steadier measure of what secure mode costs than requests/s.
// Systems are interleaved over `rounds` rounds; every number is a median. --baseline adds the
// secure mode of another checkout (built, with its own node_modules), e.g. the main branch.
import { execSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const seconds = Number(args.seconds ?? 3);
const rounds = Number(args.rounds ?? 4);
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;

if (!existsSync(join(root, 'packages', 'cli', 'dist', 'bin.js'))) execSync('npx turbo run build --filter=@nanite/cli --output-logs=errors-only', { cwd: root, stdio: 'inherit' });
const pki = join(tmpdir(), `nanite-cpu-pki-${run}`);
const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
execSync(`${cli} certs init --dir ${pki} && ${cli} certs issue bench-agent --dir ${pki} && ${cli} certs issue bench-mapper --dir ${pki} --role mapper`, { stdio: 'ignore' });

const systems = [
  { name: 'plain', tree: root, pki: [] },
  { name: 'secure', tree: root, pki: [pki] },
  ...(args.baseline ? [{ name: `secure (${args.baseline})`, tree: args.baseline, pki: [pki] }] : []),
];

function start(tree, file, argv, env) {
  const p = spawn(process.execPath, ['-r', join(here, 'report-cpu.cjs'), join(tree, 'bench', 'amqp', file), ...argv], { cwd: join(tree, 'bench', 'amqp'), env: { ...process.env, NANITE_LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d.toString()));
  p.stderr.on('data', (d) => (err += d.toString()));
  const done = new Promise((resolve) => p.once('exit', () => resolve({ out, cpu: Number(/CPU (\d+)/.exec(err)?.[1] ?? NaN) })));
  return { p, done, ready: () => out.includes('ready') };
}

async function once(s, i) {
  const u = `${url}${url.includes('?') ? '&' : '?'}prefix=bench-cpu-${run}-${i}`;
  const server = start(s.tree, 'nanite.server.js', [u, ...s.pki], {});
  while (!server.ready()) {
    if (server.p.exitCode !== null) throw new Error(`${s.name}: server exited`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = start(s.tree, 'nanite.client.js', [u, s.name, ...s.pki], { BENCH_SECONDS: String(seconds) });
  const c = await client.done;
  server.p.kill('SIGTERM');
  const v = await server.done;
  const line = c.out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${s.name}: no result`);
  const r = JSON.parse(line.slice(7));
  // measure.js: a 1 s warm-up at 64, then each phase `seconds` long.
  const requests = r.c64 * Math.min(1, seconds) + (r.c1 + r.c64 + r.c256) * seconds;
  return { ...r, requests, mapperUs: c.cpu / requests, agentUs: v.cpu / requests };
}

const samples = new Map(systems.map((s) => [s.name, []]));
let n = 0;
for (let round = 1; round <= rounds; round++) {
  for (const s of systems) {
    const r = await once(s, n++);
    process.stderr.write(`round ${round}/${rounds} ${s.name}: ${JSON.stringify(r)}\n`);
    samples.get(s.name).push(r);
  }
}
rmSync(pki, { recursive: true, force: true });
execSync(`node -e "
const amqp = require('amqplib'); const { amqpNames } = require('@nanite/core');
(async () => { const c = await amqp.connect('${url}'); const ch = await c.createChannel();
for (let i = 0; i < ${n}; i++) { const m = amqpNames('bench-cpu-${run}-' + i); await ch.deleteQueue(m.parkQueue('/bench/sum')); for (const e of [m.heartbeat, m.advertise, m.agent, m.reply, m.park, m.heartbeat.replace(/heartbeat$/, 'gossip'), m.heartbeat.replace(/heartbeat$/, 'gossip.direct')]) await ch.deleteExchange(e); }
await c.close(); })();"`, { cwd: root, stdio: 'inherit' });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = samples.get('plain');
console.log(`\n| system | mapper CPU µs/request | agent CPU µs/request | req/s @64 | req/s @256 | p50 @1 (µs) |\n|---|---|---|---|---|---|`);
for (const s of systems) {
  const rs = samples.get(s.name);
  const m = median(rs.map((r) => r.mapperUs));
  const a = median(rs.map((r) => r.agentUs));
  const rel = s.name === 'plain' ? '' : ` (${(m / median(plain.map((r) => r.mapperUs))).toFixed(2)}× plain)`;
  const relA = s.name === 'plain' ? '' : ` (${(a / median(plain.map((r) => r.agentUs))).toFixed(2)}× plain)`;
  console.log(`| ${s.name} | ${m.toFixed(1)}${rel} | ${a.toFixed(1)}${relA} | ${median(rs.map((r) => r.c64))} | ${median(rs.map((r) => r.c256))} | ${median(rs.map((r) => r.p50us))} |`);
}
