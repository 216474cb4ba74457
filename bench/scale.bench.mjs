#!/usr/bin/env node --expose-gc
// Scale: (1) one mapper follows N agents pinging every second (simulated by a few processes
// publishing heartbeats on the broker): heartbeat processing lag, CPU, memory per known agent;
// (2) broker fanout cost of M mappers × A agents (every ping is delivered to every mapper's queue),
// measured at sizes this machine can run and extrapolated; (3) least_loaded pick cost vs candidates.
//   node --expose-gc bench/scale.bench.mjs [--agents=2000,10000] [--sims=4] [--seconds=10] [--fanout=1,10,20] [--fanoutAgents=1000] [--write]
// RabbitMQ at NANITE_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), unique prefixes, cleaned up after.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { execSync } from 'node:child_process';
import { replaceSection } from './lib/svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const core = require('@nanite/core');
const { Mapper, AmqpTransport, LeastLoadedSelector } = core;
const amqp = require('amqplib');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const followSizes = String(args.agents ?? '2000,10000').split(',').map(Number);
const sims = Number(args.sims ?? 4);
const seconds = Number(args.seconds ?? 10);
const fanoutSizes = (args.fanout ?? '1,10,20').split(',').map(Number);
const fanoutAgents = Number(args.fanoutAgents ?? 1000);
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const prefixes = [];
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

function start(file, argv) {
  const child = spawn(process.execPath, [join(here, 'scale', file), ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.out = '';
  child.stdout.on('data', (d) => (child.out += d.toString()));
  return child;
}
const until = async (cond, ms, what) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};
async function stop(child) {
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  const line = child.out.split('\n').find((l) => l.startsWith('RESULT '));
  return line ? JSON.parse(line.slice(7)) : undefined;
}
/** CPU seconds (user + system) a process has used, from /proc. */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
function brokerPid() {
  try {
    const line = execSync("ss -ltnp 2>/dev/null | grep ':5672 '", { encoding: 'utf8' });
    return Number(/pid=(\d+)/.exec(line)?.[1]) || undefined;
  } catch {
    return undefined;
  }
}

/** A transport that hands the mapper every packet and notes, for Pings carrying `t`, how late they were handled. */
function lagTransport(inner, lags) {
  return new Proxy(inner, {
    get(target, key) {
      if (key === 'openMapper') {
        return (identity, sink) => target.openMapper(identity, {
          ...sink,
          onPacket(packet) {
            sink.onPacket(packet);
            const t = packet?.t;
            if (typeof t === 'number' && lags.on) lags.push(Date.now() - t);
          },
        });
      }
      const v = Reflect.get(target, key);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

async function follow(N) {
  const prefix = `scale-${run}-follow${N}`;
  prefixes.push(prefix);
  const transport = new AmqpTransport({ url: `${url}?prefix=${prefix}`, logger: quiet });
  const lags = [];
  lags.on = false;
  const mapper = new Mapper({ transport: lagTransport(transport, lags), logger: quiet, maxAgents: N + 1000 });
  await mapper.start();
  await sleep(300);
  globalThis.gc();
  const heap0 = process.memoryUsage().heapUsed;
  const per = Math.ceil(N / sims);
  const children = Array.from({ length: sims }, (_, k) => start('heartbeat-sim.cjs', [url, prefix, String(k * per), String(Math.min(per, N - k * per))]));
  const t0 = performance.now();
  await until(() => mapper.stats.agents >= N, 120_000, `${N} agents registered`);
  const registerMs = performance.now() - t0;
  await sleep(2000); // pings flowing
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  lags.on = true;
  const w0 = performance.now();
  await sleep(seconds * 1000);
  lags.on = false;
  const wall = (performance.now() - w0) / 1000;
  delay.disable();
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const agentsSeen = mapper.stats.agents;
  globalThis.gc();
  const heap1 = process.memoryUsage().heapUsed;
  for (const c of children) await stop(c);
  await until(() => mapper.stats.agents === 0, 30_000, 'unregisters');
  await mapper.close();
  await transport.close();
  lags.sort((a, b) => a - b);
  return {
    agents: N, agentsSeen, registerMs, pingsPerSec: lags.length / wall, lagP50: pct(lags, 0.5), lagP99: pct(lags, 0.99), lagMax: lags[lags.length - 1],
    cpuPerPingUs: ((cpu.user + cpu.system) / lags.length), cpuShare: (cpu.user + cpu.system) / 1e6 / wall, elu, delayP99: delay.percentile(99) / 1e6, bytesPerAgent: (heap1 - heap0) / N,
  };
}

async function fanout(mappers, agents) {
  const prefix = `scale-${run}-fan${mappers}`;
  prefixes.push(prefix);
  const hosts = Math.min(mappers, 2);
  const hostProcs = Array.from({ length: hosts }, (_, k) => start('mappers.cjs', [url, prefix, String(Math.floor(mappers / hosts) + (k < mappers % hosts ? 1 : 0))]));
  await until(() => hostProcs.every((h) => h.out.includes('ready')), 60_000, 'mappers ready');
  const broker = brokerPid();
  // The broker is shared with other work: its CPU with our heartbeats off is measured just before and subtracted.
  const idle0 = broker ? cpuOf(broker) : 0;
  await sleep(3000);
  const idle = broker ? (cpuOf(broker) - idle0) / 3 : NaN;
  const sim = start('heartbeat-sim.cjs', [url, prefix, '0', String(agents)]);
  await until(() => sim.out.includes('registered'), 60_000, 'registered');
  await sleep(2000);
  const b0 = broker ? cpuOf(broker) : 0;
  const m0 = hostProcs.map((h) => cpuOf(h.pid));
  const s0 = cpuOf(sim.pid);
  const w0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - w0) / 1000;
  const brokerBusy = broker ? (cpuOf(broker) - b0) / wall : NaN;
  const mapperBusy = hostProcs.reduce((s, h, i) => s + cpuOf(h.pid) - m0[i], 0) / wall;
  const simBusy = (cpuOf(sim.pid) - s0) / wall;
  await stop(sim);
  await sleep(500);
  const seen = [];
  for (const h of hostProcs) seen.push(...((await stop(h))?.seen ?? []));
  const deliveries = mappers * agents; // per second
  const brokerNet = brokerBusy - idle;
  return { mappers, agents, deliveries, brokerBusy, brokerIdle: idle, brokerUsPerDelivery: (brokerNet / deliveries) * 1e6, mapperUsPerPing: (mapperBusy / deliveries) * 1e6, simBusy, minSeen: Math.min(...seen) };
}

function pickCost() {
  const rows = [];
  for (const n of [10, 100, 1_000, 10_000]) {
    const views = Array.from({ length: n }, (_, i) => ({ identity: `a${i}`, routes: ['/r'], tags: [], status: (i * 7919) % 13 / 13, inFlight: 0, concurrency: 4, pingInterval: 1000, lastSeen: 0, pending: 0, load: (i * 7919) % 13 / 13, latency: 1 + (i % 5) }));
    const info = { route: '/r', payload: null, tags: [], target: undefined };
    const row = { n };
    for (const [key, sel] of [['p2c', new LeastLoadedSelector()], ['scan', new LeastLoadedSelector({ scanLimit: Infinity })]]) {
      for (let i = 0; i < 20_000; i++) sel.select(views, info);
      // Timed by the clock (>= 300 ms per cell) so a descheduled slice on a loaded machine weighs little.
      let iters = 0;
      const t = performance.now();
      while (performance.now() - t < 300) {
        for (let i = 0; i < 100; i++) sel.select(views, info);
        iters += 100;
      }
      row[key] = ((performance.now() - t) * 1e6) / iters; // ns per pick
    }
    rows.push(row);
  }
  return rows;
}

async function cleanUp() {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const p of prefixes) {
    const n = core.amqpNames(p);
    for (const ex of [n.heartbeat, n.advertise, n.agent, n.reply, n.park]) await ch.deleteExchange(ex);
  }
  await conn.close();
}

const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
const follows = [];
const fans = [];
let picks;
try {
  picks = pickCost();
  console.error('pick cost', picks);
  for (const n of followSizes) {
    follows.push(await follow(n));
    console.error('follow', follows.at(-1));
  }
  for (const m of fanoutSizes) {
    fans.push(await fanout(m, fanoutAgents));
    console.error('fanout', fans.at(-1));
  }
} finally {
  await cleanUp();
}
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const medianUs = [...fans].map((r) => r.brokerUsPerDelivery).filter(Number.isFinite).sort((a, b) => a - b);
const usPer = medianUs.length ? medianUs[Math.floor(medianUs.length / 2)] : NaN;
const lines = [
  '## Scale',
  '',
  `Run: \`node --expose-gc bench/scale.bench.mjs --agents=${followSizes.join(',')} --sims=${sims} --seconds=${seconds} --fanout=${fanoutSizes.join(',')} --fanoutAgents=${fanoutAgents} --write\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, RabbitMQ on this machine (shared with other work), load average ${load0} at the start.`,
  '',
  `**One mapper following N agents** that ping every second (simulated: ${sims} processes publish one Register per identity, then one Ping per identity per second, spread over the second, each Ping stamped with its send time). Lag = when the mapper finished handling the Ping minus when it was published (broker transit included).`,
  '',
  '| agents | all registered after | pings handled/s | lag p50 | lag p99 | lag max | mapper CPU per ping | mapper CPU share | event-loop delay p99 | heap per known agent |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...follows.map((f) => `| ${f.agents} (${f.agentsSeen} live at the end) | ${fmt(f.registerMs / 1000)} s | ${Math.round(f.pingsPerSec)} | ${f.lagP50} ms | ${f.lagP99} ms | ${f.lagMax} ms | ${fmt(f.cpuPerPingUs)} µs | ${fmt(f.cpuShare * 100)} % of a core | ${fmt(f.delayP99)} ms | ${Math.round(f.bytesPerAgent)} B |`),
  '',
  `**Broker fanout**: every Ping is delivered to every mapper's own queue, so M mappers × A agents pinging each second cost the broker M × A deliveries/s. Measured with ${fanoutAgents} simulated agents and M real mappers (each its own connection, in ${Math.min(2, Math.max(...fanoutSizes))} processes); broker CPU from /proc, minus its CPU over 3 s just before (other work on the shared broker), divided by the deliveries.`,
  '',
  '| mappers × agents | deliveries/s | broker CPU (share of a core, net of idle) | broker µs per delivery | mapper µs per ping handled | every mapper saw all agents |',
  '|---|---:|---:|---:|---:|---|',
  ...fans.map((r) => `| ${r.mappers} × ${r.agents} | ${r.deliveries.toLocaleString('en-US')} | ${fmt((r.brokerBusy - r.brokerIdle) * 100)} % (idle ${fmt(r.brokerIdle * 100)} %) | ${fmt(r.brokerUsPerDelivery)} | ${fmt(r.mapperUsPerPing)} | ${r.minSeen >= r.agents ? 'yes' : `no (min ${r.minSeen})`} |`),
  '',
  `Extrapolated: **100 mappers × 1,000 agents** = 100,000 deliveries/s ≈ ${fmt((usPer * 100_000) / 1e6, 2)} broker cores at the median ${fmt(usPer)} µs per delivery measured here (plus ~${fmt(Math.min(...fans.map((r) => r.mapperUsPerPing)) * 1000 / 1e6 * 100, 1)} % of a core per mapper for its 1,000 pings/s). Not run at full size: this machine has 2 cores shared with other work.`,
  '',
  '**least_loaded pick cost** (ns per pick, in-process, latency-aware): past 32 candidates the default draws two at random (power of two choices); `scanLimit: Infinity` compares every one.',
  '',
  '| candidates | default (two choices past 32) | full scan |',
  '|---:|---:|---:|',
  ...picks.map((r) => `| ${r.n.toLocaleString('en-US')} | ${fmt(r.p2c, 0)} | ${fmt(r.scan, 0)} |`),
  '',
  'Limits and how to go past them: docs/scale.md.',
  '',
];
console.log(lines.join('\n'));
if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), '## Scale', lines.join('\n')));
}
process.exit(0);
