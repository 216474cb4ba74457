#!/usr/bin/env node
// AMQP request/response benchmark, all systems in ONE run on the same broker.
//   node bench/amqp/run.mjs [--only=raw,raw-props,nanite,secure,nest,moleculer|<system id>,...] [--payload=100,4096,65536]
//                           [--seconds=3] [--rounds=4] [--write] [--replay=<stderr of an earlier run>]
// Installs the bench-only dependencies (bench/amqp/package.json, not a workspace) on first use,
// builds @nanite/core if needed, then for each system starts the responder and the caller in two
// processes, and prints requests/s at concurrency 1/64/256 and p50/p99 at 1, with ratios to raw
// amqplib, for each payload size (`--payload`: JSON bytes of the request, echoed back by every
// responder). Systems and sizes are interleaved over `rounds` rounds and each number is the median
// of its rounds (the machine is shared and noisy); the order of the systems changes from round to
// round so that each runs first, and right after each other one, equally often (pair.mjs
// `balanced`: give --rounds a multiple of the number of systems, twice it when that is odd).
// `--only` takes a family (raw, nanite, secure, nest, moleculer) or one system id
// (nanite-amo, nest-tuned, moleculer-tuned, ...). `BENCH_PIN=S,C` pins the processes (pair.mjs). --write
// replaces the "## AMQP request/response" section of BENCHMARKS.md. --replay prints the tables of an
// earlier run from what it wrote to stderr (give it the same --only and --payload), running nothing.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg, tmpdir } from 'node:os';
import { balanced, median, removeNaniteBench, runPair, versus } from './pair.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const seconds = Number(args.seconds ?? 3);
const replay = args.replay ? readFileSync(args.replay, 'utf8') : undefined;
const rounds = replay ? Math.max(...[...replay.matchAll(/^bench: round \d+\/(\d+),/gm)].map((m) => Number(m[1]))) : Number(args.rounds ?? 4);
const payloads = String(args.payload ?? '100,4096,65536').split(',').map(Number);
const only = args.only ? args.only.split(',') : undefined;
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;

function sh(cmd, cwd = root) {
  execSync(cmd, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}
const wants = (key) => !only || only.some((o) => o === key || o.startsWith(`${key}-`));
if (wants('nest') && !existsSync(join(here, 'node_modules', '@nestjs', 'microservices'))) sh('npm install --no-audit --no-fund --no-workspaces --prefix bench/amqp');
if (wants('moleculer') && !existsSync(join(here, 'moleculer', 'node_modules', 'moleculer'))) sh('npm install --no-audit --no-fund --no-workspaces --prefix bench/amqp/moleculer');
if (!existsSync(join(root, 'packages', 'core', 'dist', 'index.js'))) sh('npx turbo run build --filter=@nanite/core --output-logs=errors-only');
// Secure mode: a throw-away CA and certificates for the bench agent and mapper (made with `nanite certs`).
const pki = join(tmpdir(), `nanite-bench-pki-${run}`);
if (wants('secure')) {
  if (!existsSync(join(root, 'packages', 'cli', 'dist', 'bin.js'))) sh('npx turbo run build --filter=@nanite/cli --output-logs=errors-only');
  const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
  sh(`${cli} certs init --dir ${pki} && ${cli} certs issue bench-agent --dir ${pki} && ${cli} certs issue bench-mapper --dir ${pki} --role mapper`);
}

const naniteUrl = (extra = '') => `${url}${url.includes('?') ? '&' : '?'}prefix=bench-${run}${extra}`;
const systems = [
  { id: 'raw', key: 'raw', name: 'raw amqplib (direct reply-to, prefetch 256, ack after reply, no-delay)', server: ['raw.server.js', url, `bench-raw-${run}`], client: ['raw.client.js', url, `bench-raw-${run}`] },
  { id: 'raw-props', key: 'raw-props', name: 'raw amqplib, published like Nanite (direct exchange, mandatory, expiration, content type)', server: ['raw.server.js', url, `bench-rawp-${run}`], client: ['raw.client.js', url, `bench-rawp-${run}`, 'props'] },
  { id: 'nanite', key: 'nanite', name: 'Nanite request (amqp://, ack-after-handler)', server: ['nanite.server.js', naniteUrl()], client: ['nanite.client.js', naniteUrl(), 'nanite'] },
  // An agent on `delivery=at-most-once`. Since #10 every delivery is acknowledged when its handler settles, so
  // for a request this is the default path (only a redelivered push is treated differently): the column is a
  // second sample of `nanite`, i.e. how far two runs of the same code drift apart within one run.
  { id: 'nanite-amo', key: 'nanite', name: 'Nanite request (amqp://, at-most-once)', server: ['nanite.server.js', naniteUrl('&delivery=at-most-once')], client: ['nanite.client.js', naniteUrl(), 'nanite-amo'] },
  { id: 'secure', key: 'secure', name: 'Nanite request, secure mode (amqp://, ack-after-handler; X.509 + X25519 + ChaCha20-Poly1305 / AES-256-GCM)', server: ['nanite.server.js', naniteUrl(), pki], client: ['nanite.client.js', naniteUrl(), 'nanite-secure', pki] },
  { id: 'nest', key: 'nest', name: 'NestJS 12 microservices RMQ, defaults', server: ['nest.server.mjs', url, `bench-nest-${run}`, '0'], client: ['nest.client.mjs', url, `bench-nest-${run}`, '0', 'nest'] },
  { id: 'nest-tuned', key: 'nest', name: 'NestJS 12 microservices RMQ, tuned (ack, prefetch 256, no-delay)', server: ['nest.server.mjs', url, `bench-nestt-${run}`, '1'], client: ['nest.client.mjs', url, `bench-nestt-${run}`, '1', 'nest-tuned'] },
  { id: 'moleculer', key: 'moleculer', name: 'Moleculer 0.15 AMQP transporter, defaults', server: ['moleculer/moleculer.server.js', url, `bench-mol-${run}`, '0'], client: ['moleculer/moleculer.client.js', url, `bench-mol-${run}`, '0', 'moleculer'] },
  { id: 'moleculer-tuned', key: 'moleculer', name: 'Moleculer 0.15 AMQP transporter, tuned (prefetch 256, no-delay)', server: ['moleculer/moleculer.server.js', url, `bench-molt-${run}`, '1'], client: ['moleculer/moleculer.client.js', url, `bench-molt-${run}`, '1', 'moleculer-tuned'] },
].filter((s) => !only || only.includes(s.key) || only.includes(s.id));

/** Deletes what the systems declared and leave behind (durable exchanges, park and Nest queues). */
async function cleanUp() {
  await removeNaniteBench(url, `bench-${run}`);
  const { createRequire } = await import('node:module');
  const require = createRequire(join(here, 'package.json'));
  const amqp = require('amqplib');
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const q of [`bench-nest-${run}`, `bench-nestt-${run}`]) await ch.deleteQueue(q);
  for (const ns of [`bench-mol-${run}`, `bench-molt-${run}`]) {
    for (const t of ['INFO', 'DISCONNECT', 'HEARTBEAT', 'DISCOVER', 'PING']) await ch.deleteExchange(`MOL-${ns}.${t}`);
    for (const node of ['bench-server', 'bench-client']) for (const t of ['REQ', 'RES', 'EVENT']) await ch.deleteQueue(`MOL-${ns}.${t}.${node}`);
    await ch.deleteQueue(`MOL-${ns}.REQB.bench.echo`);
  }
  await conn.close();
}

async function bench(s, size) {
  const r = await runPair({ label: s.name, server: s.server, client: s.client, env: { NANITE_LOG_LEVEL: 'error', BENCH_PAYLOAD: String(size) }, clientEnv: { BENCH_SECONDS: String(seconds) } });
  return { ...r, name: s.name };
}

const key = (s, size) => `${s.id}@${size}`;
const samples = new Map(payloads.flatMap((size) => systems.map((s) => [key(s, size), []])));
if (replay) {
  let size;
  for (const line of replay.split('\n')) {
    const head = /^bench: round \d+\/\d+, (\d+) B: /.exec(line);
    if (head) size = Number(head[1]);
    else if (line.startsWith('  {')) {
      const r = JSON.parse(line);
      const s = systems.find((x) => x.name === r.name);
      if (s && samples.has(key(s, size))) samples.get(key(s, size)).push(r);
    }
  }
}
for (let round = 1; round <= (replay ? 0 : rounds); round++) {
  const order = balanced(systems, round - 1);
  for (const size of payloads) {
    for (const s of order) {
      process.stderr.write(`bench: round ${round}/${rounds}, ${size} B: ${s.name} ...\n`);
      const r = await bench(s, size);
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      samples.get(key(s, size)).push(r);
    }
  }
}
const resultsFor = (size) =>
  systems.map((s) => {
    const rs = samples.get(key(s, size));
    const out = { name: s.name, failed: rs.reduce((n, r) => n + r.failed, 0) };
    for (const k of ['c1', 'c64', 'c256', 'p50us', 'p99us']) out[k] = Math.round(median(rs.map((r) => r[k])));
    return out;
  });

if (!replay) await cleanUp();
rmSync(pki, { recursive: true, force: true });

const ratio = (v, base) => (base ? ` (${(v / base).toFixed(2)}×)` : '');
// Round by round against raw amqplib's pair of the same round: how often a system was ahead (req/s at
// or above, latency at or below), and the median of those per-round ratios. A median a percent off
// 1.00× with 5 of 10 rounds either side is noise; and when the machine changes speed between rounds,
// the ratio of the medians above can differ from the median of the paired ratios.
const roundsAhead = (size) => {
  const base = systems.find((s) => s.id === 'raw');
  if (!base) return [];
  const raw = samples.get(key(base, size));
  const ahead = (rs, k, lower) => {
    const v = versus(rs, raw, k, lower);
    return `${v.ahead}/${v.rounds} (${v.ratio.toFixed(2)}×)`;
  };
  return [
    '',
    'Rounds ahead of raw amqplib in the same round (req/s at or above it, latency at or below it), and the median of the per-round ratios:',
    '',
    '| system | @1 | @64 | @256 | p50 @1 | p99 @1 |',
    '|---|---|---|---|---|---|',
    ...systems
      .filter((s) => s !== base)
      .map((s) => {
        const rs = samples.get(key(s, size));
        return `| ${s.name} | ${ahead(rs, 'c1')} | ${ahead(rs, 'c64')} | ${ahead(rs, 'c256')} | ${ahead(rs, 'p50us', true)} | ${ahead(rs, 'p99us', true)} |`;
      }),
  ];
};
const tableFor = (size) => {
  const results = resultsFor(size);
  const raw = results.find((r) => r.name.startsWith('raw amqplib ('));
  return [
    `Payload ${size} B:`,
    '',
    '| system | req/s @1 | req/s @64 | req/s @256 | p50 @1 (µs) | p99 @1 (µs) |',
    '|---|---|---|---|---|---|',
    ...results.map(
      (r) => `| ${r.name} | ${r.c1}${ratio(r.c1, raw?.c1)} | ${r.c64}${ratio(r.c64, raw?.c64)} | ${r.c256}${ratio(r.c256, raw?.c256)} | ${r.p50us}${ratio(r.p50us, raw?.p50us)} | ${r.p99us}${ratio(r.p99us, raw?.p99us)} |${r.failed ? ` ${r.failed} failed` : ''}`,
    ),
    ...roundsAhead(size),
  ].join('\n');
};
let rabbit = 'unknown';
try {
  rabbit = execSync('rabbitmqctl version', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {
  // rabbitmqctl is optional (remote broker): the version is informational only.
}
const amqplibVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'amqplib', 'package.json'), 'utf8')).version;
const table = [
  `Run: \`node bench/amqp/run.mjs --seconds=${seconds} --rounds=${rounds} --payload=${payloads.join(',')}${only ? ` --only=${only.join(',')}` : ''} --write\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, RabbitMQ ${rabbit}, amqplib ${amqplibVersion} (core's and the raw baseline's), ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end; responder and caller in separate processes; the request is a JSON object of the stated size, echoed back by the responder (JSON both ways); each phase ${seconds} s after a warm-up; every number is the median of ${rounds} interleaved rounds. Ratios are to raw amqplib (for latency, lower is better).`,
  '',
  ...payloads.flatMap((size) => [tableFor(size), '']),
].join('\n');
process.stdout.write(`\n${table}\n`);

if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  const heading = '## AMQP request/response';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(heading);
  const section = `${heading}\n\n${table}\n`;
  let next;
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`;
  else {
    const after = text.indexOf('\n## ', start + heading.length);
    next = text.slice(0, start) + section + (after < 0 ? '' : `\n${text.slice(after + 1)}`);
  }
  writeFileSync(file, next);
  process.stderr.write(`bench: wrote ${heading} in BENCHMARKS.md\n`);
}
