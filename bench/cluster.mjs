#!/usr/bin/env node
// Nanite on a three-node RabbitMQ cluster vs one node, in ONE run on the same private nodes
// (scripts/amqp-cluster.sh; never the shared broker on 5672).
//   node bench/cluster.mjs [--seconds=2] [--parked=2000] [--keep]
// 1. requests/s at concurrency 64/256 (bench/amqp's Nanite responder and caller, separate
//    processes): "single node" = agent and mapper on node 1 (a one-node URL, classic park queues);
//    "cluster" = agent on node 1, mapper on node 2 (host-list URLs), every request crossing nodes.
// 2. parked requests (offline failsafe, persistent, publisher-confirmed): `--parked` requests parked
//    with no agent, then an agent drains them; quorum vs classic park queue, both through the cluster.
// Prints a markdown table with ratios to the single-node / classic baseline of the same run.
// Needs root and rabbitmq-server (scripts/ensure-rabbitmq.sh). --keep leaves the cluster running.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(join(root, 'package.json'));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const seconds = Number(args.seconds ?? 2);
const parkedCount = Number(args.parked ?? 2000);
process.env.NANITE_LOG_LEVEL ||= 'error';
const tag = `bench-${process.pid}`;
const base = 7300;
const node = (i) => `127.0.0.1:${base + i - 1}`;
const list = (order, q) => `amqp://guest:guest@${order.map(node).join(',')}/?nodeOrder=ordered&${new URLSearchParams(q)}`;
const script = join(root, 'scripts', 'amqp-cluster.sh');
const cluster = (...a) => execFileSync(script, [a[0], tag, ...a.slice(1)], { stdio: 'inherit' });

execFileSync('npx', ['turbo', 'run', 'build', '--filter=@nanite/core', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
const { Agent, Mapper, defineActor, removeAmqpTopology } = require('@nanite/core');
const amqp = require('amqplib');

function child(file, argv, env = {}) {
  return spawn(process.execPath, [join(here, 'amqp', file), ...argv], { cwd: join(here, 'amqp'), env: { ...process.env, NANITE_LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function rps(agentUrl, mapperUrl) {
  const server = child('nanite.server.js', [agentUrl]);
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => d.toString().includes('ready') && resolve());
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const client = child('nanite.client.js', [mapperUrl, 'nanite'], { BENCH_SECONDS: String(seconds) });
  let out = '';
  client.stdout.on('data', (d) => (out += d.toString()));
  await new Promise((resolve) => client.once('exit', resolve));
  server.kill('SIGTERM');
  await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result: ${out}`);
  return JSON.parse(line.slice(7));
}

/** Messages in `queue` (0 while it does not exist: a failed check closes its channel, so one channel per check). */
async function count(conn, queue) {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  try {
    return await ch.checkQueue(queue);
  } catch {
    return { messageCount: 0 };
  } finally {
    await ch.close().catch(() => undefined);
  }
}

/** Parks `parkedCount` requests (mapper on node 2), then an agent (node 1) drains them. */
async function parked(queueType, prefix) {
  const q = { prefix, queueType };
  const mapper = new Mapper({ transport: list([2, 3, 1], q), timeout: 600_000, persistentTtl: 600_000 });
  await mapper.start();
  const conn = await amqp.connect(`amqp://guest:guest@${node(1)}`);
  const t0 = performance.now();
  const answers = Array.from({ length: parkedCount }, (_, i) => mapper.request('/park/hi', i, { persistent: true }));
  for (;;) {
    const info = await count(conn, `${prefix}.park./park/hi`);
    if (info.messageCount >= parkedCount) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const parkSec = (performance.now() - t0) / 1000;
  await conn.close();
  const agent = new Agent({ transport: list([1, 2, 3], q), identity: 'drain', concurrency: 256, actors: [defineActor('park', { hi: (n) => n })] });
  const t1 = performance.now();
  await agent.start();
  await Promise.all(answers);
  const drainSec = (performance.now() - t1) / 1000;
  await agent.stop();
  await mapper.close();
  await removeAmqpTopology(list([1, 2, 3], q), prefix, { routes: ['/park/hi'] });
  return { parkPerSec: Math.round(parkedCount / parkSec), drainPerSec: Math.round(parkedCount / drainSec) };
}

const load0 = loadavg().map((x) => x.toFixed(2)).join(' ');
process.stderr.write(`bench: starting the private cluster ${tag} ...\n`);
cluster('start', String(base));
try {
  const single = `amqp://guest:guest@${node(1)}/?prefix=bench-s-${tag}`;
  const r1 = await rps(single, single);
  process.stderr.write(`  single: ${JSON.stringify(r1)}\n`);
  const r2 = await rps(list([1, 2, 3], { prefix: `bench-c-${tag}` }), list([2, 3, 1], { prefix: `bench-c-${tag}` }));
  process.stderr.write(`  cluster: ${JSON.stringify(r2)}\n`);
  for (const [u, p] of [[single, `bench-s-${tag}`], [list([1, 2, 3], {}), `bench-c-${tag}`]]) await removeAmqpTopology(u, p).catch(() => undefined);
  const classic = await parked('classic', `bench-pc-${tag}`);
  process.stderr.write(`  parked classic: ${JSON.stringify(classic)}\n`);
  const quorum = await parked('quorum', `bench-pq-${tag}`);
  process.stderr.write(`  parked quorum: ${JSON.stringify(quorum)}\n`);
  const x = (v, b) => `${(v / b).toFixed(2)}×`;
  const table = [
    `Run: \`node bench/cluster.mjs --seconds=${seconds} --parked=${parkedCount}\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} cores, load average before ${load0}, after ${loadavg().map((v) => v.toFixed(2)).join(' ')}; three private RabbitMQ nodes on this one machine.`,
    '',
    '| what | req/s @64 | req/s @256 |',
    '|---|---|---|',
    `| single node (agent and mapper on node 1) | ${r1.c64} (1.00×) | ${r1.c256} (1.00×) |`,
    `| cluster (agent on node 1, mapper on node 2) | ${r2.c64} (${x(r2.c64, r1.c64)}) | ${r2.c256} (${x(r2.c256, r1.c256)}) |`,
    '',
    `| parked requests (${parkedCount}, persistent, confirmed) | parked/s | drained/s (agent concurrency 256) |`,
    '|---|---|---|',
    `| classic park queue | ${classic.parkPerSec} (1.00×) | ${classic.drainPerSec} (1.00×) |`,
    `| quorum park queue (3 replicas) | ${quorum.parkPerSec} (${x(quorum.parkPerSec, classic.parkPerSec)}) | ${quorum.drainPerSec} (${x(quorum.drainPerSec, classic.drainPerSec)}) |`,
  ].join('\n');
  process.stdout.write(`\n${table}\n`);
} finally {
  if (!args.keep) cluster('stop');
}
