#!/usr/bin/env node --expose-gc
// Scale: (1) one mapper follows N agents pinging every second (simulated by a few processes
// publishing heartbeats on the broker): heartbeat processing lag, CPU, memory per known agent;
// (2) broker fanout cost of M mappers × A agents (every ping is delivered to every mapper's queue),
// measured at sizes this machine can run and extrapolated; (3) least_loaded pick cost vs candidates.
//   node --expose-gc bench/scale.bench.mjs [--agents=2000,10000] [--sims=4] [--seconds=10] [--fanout=1,10,20] [--fanoutAgents=1000] [--hosts=N] [--fanoutRoster=off|on] [--write]
// --agents= (empty) or --fanout= (empty) skips that part; --hosts spreads the fanout mappers over N processes (default one per 25);
// --transit adds a bare amqplib consumer of the same heartbeats (doubles the broker's fanout) whose lag is reported beside the mapper's;
// --pick=off skips the selector micro-benchmark; --core=<dir> loads another build of @nanite/core (A/B in one session).
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
const argsEarly = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
// --core=<dir of a built @nanite/core> runs the mapper side of "follow" on another build (an A/B in one session).
const core = require(argsEarly.core ?? '@nanite/core');
const { Mapper, AmqpTransport, LeastLoadedSelector } = core;

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const followSizes = String(args.agents ?? '2000,10000').split(',').map(Number).filter((n) => n > 0);
const sims = Number(args.sims ?? 4);
const seconds = Number(args.seconds ?? 10);
const fanoutSizes = String(args.fanout ?? '1,10,20').split(',').map(Number).filter((n) => n > 0);
const withPicks = args.pick !== 'off';
const fanoutAgents = Number(args.fanoutAgents ?? 1000);
/** Processes the fanout mappers are spread over (default one per 25 mappers). */
const hostsArg = args.hosts === undefined ? undefined : Number(args.hosts);
/** Fanout mappers with their roster (gossip) on or off (default off: the heartbeat fanout alone). */
const fanoutRoster = args.fanoutRoster === 'on' ? 'on' : 'off';
/** Follow runs a bare consumer of the heartbeat fanout beside the mapper (a control: transit delay vs mapper delay). */
const transit = args.transit === 'true' || args.transit === 'on';
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const prefixes = [];
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

function start(file, argv, withStdin = false) {
  const child = spawn(process.execPath, [join(here, 'scale', file), ...argv], { stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
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
async function stop(child, signal = true) {
  if (signal) child.kill('SIGTERM');
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
  // Optional control: a bare consumer of the same fanout, to tell transit delay from mapper delay.
  const probe = transit ? start('transit-probe.cjs', [url, prefix], true) : undefined;
  if (probe) await until(() => probe.out.includes('ready'), 30_000, 'transit probe ready');
  const children = Array.from({ length: sims }, (_, k) => start('heartbeat-sim.cjs', [url, prefix, String(k * per), String(Math.min(per, N - k * per))]));
  const t0 = performance.now();
  await until(() => mapper.stats.agents >= N, 120_000, `${N} agents registered`);
  const registerMs = performance.now() - t0;
  await sleep(2000); // pings flowing
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Agents the roster suspected or dropped although they kept pinging (all of them are alive).
  const doubts = { suspect: 0, down: 0 };
  const onSuspect = () => doubts.suspect++;
  const onDown = () => doubts.down++;
  mapper.on('agent:suspect', onSuspect);
  mapper.on('agent:down', onDown);
  lags.on = true;
  probe?.stdin.write('measure\n');
  const w0 = performance.now();
  await sleep(seconds * 1000);
  lags.on = false;
  probe?.stdin.write('stop\n');
  const transitLag = probe ? await stop(probe, false) : undefined;
  mapper.off('agent:suspect', onSuspect);
  mapper.off('agent:down', onDown);
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
    agents: N, agentsSeen, registerMs, falseSuspects: doubts.suspect, falseDowns: doubts.down, transitLag, pingsPerSec: lags.length / wall, lagP50: pct(lags, 0.5), lagP99: pct(lags, 0.99), lagMax: lags[lags.length - 1],
    cpuPerPingUs: ((cpu.user + cpu.system) / lags.length), cpuShare: (cpu.user + cpu.system) / 1e6 / wall, elu, delayP99: delay.percentile(99) / 1e6, bytesPerAgent: (heap1 - heap0) / N,
  };
}

async function fanout(mappers, agents) {
  const prefix = `scale-${run}-fan${mappers}`;
  prefixes.push(prefix);
  const t0 = performance.now();
  const hosts = Math.max(1, Math.min(mappers, hostsArg ?? Math.ceil(mappers / 25)));
  const hostProcs = Array.from({ length: hosts }, (_, k) => start('mappers.cjs', [url, prefix, String(Math.floor(mappers / hosts) + (k < mappers % hosts ? 1 : 0)), fanoutRoster], true));
  await until(() => hostProcs.every((h) => h.out.includes('ready')), 90_000, 'mappers ready');
  const startMs = performance.now() - t0;
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
  for (const h of hostProcs) h.stdin.write('measure\n');
  const w0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - w0) / 1000;
  const brokerBusy = broker ? (cpuOf(broker) - b0) / wall : NaN;
  const mapperBusy = hostProcs.reduce((s, h, i) => s + cpuOf(h.pid) - m0[i], 0) / wall;
  const simBusy = (cpuOf(sim.pid) - s0) / wall;
  // Mappers first (they report the window), then the agents (their UnRegisters are not measured).
  const per = [];
  let windowMs = wall * 1000;
  for (const h of hostProcs) {
    h.stdin.write('stop\n');
    const r = await stop(h, false);
    if (r) {
      per.push(...r.mappers);
      windowMs = Math.max(r.windowMs, 1);
    }
  }
  await stop(sim);
  const expected = mappers * agents; // deliveries per second the heartbeats should cost
  const handled = per.reduce((s, m) => s + m.handled, 0) / (windowMs / 1000);
  // A mapper fell behind when it handled 5 % fewer Pings than the median mapper (all get the same
  // Pings, so this is independent of how evenly the simulator published), or handled them a ping
  // interval late (p99).
  const medianHandled = pct(per.map((m) => m.handled).sort((a, b) => a - b), 0.5);
  const behind = per.filter((m) => m.handled < 0.95 * medianHandled || !(m.lagP99 < 1000));
  const p99s = per.map((m) => m.lagP99).filter(Number.isFinite).sort((a, b) => a - b);
  const p50s = per.map((m) => m.lagP50).filter(Number.isFinite).sort((a, b) => a - b);
  const brokerNet = brokerBusy - idle;
  return {
    mappers, agents, hosts, roster: fanoutRoster, startMs, totalMs: performance.now() - t0, deliveries: expected, delivered: handled,
    brokerBusy, brokerIdle: idle, brokerUsPerDelivery: (brokerNet / expected) * 1e6, mapperUsPerPing: (mapperBusy / Math.max(1, handled)) * 1e6, mapperBusy, simBusy,
    lagP50Median: pct(p50s, 0.5), lagP99Median: pct(p99s, 0.5), lagP99Worst: p99s.at(-1), behind: behind.length, reported: per.length, minSeen: Math.min(...per.map((m) => m.seen)),
  };
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
  // The library's own clean-up: every exchange of the prefix (heartbeats, agents, replies, parking, roster gossip).
  for (const p of prefixes) await core.removeAmqpTopology(url, p);
}

const load0 = loadavg().map((l) => l.toFixed(2)).join(' ');
const follows = [];
const fans = [];
let picks;
try {
  picks = withPicks ? pickCost() : [];
  if (withPicks) console.error('pick cost', picks);
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
  `Run: \`node --expose-gc bench/scale.bench.mjs --agents=${followSizes.join(',')} --sims=${sims} --seconds=${seconds} --fanout=${fanoutSizes.join(',')} --fanoutAgents=${fanoutAgents}${hostsArg ? ` --hosts=${hostsArg}` : ''}${fanoutRoster === 'on' ? ' --fanoutRoster=on' : ''}${transit ? ' --transit' : ''} --write\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, RabbitMQ on this machine (shared with other work), load average ${load0} at the start.`,
  '',
  `**One mapper following N agents** that ping every second (simulated: ${sims} processes publish one Register per identity, then one Ping per identity per second, spread over the second, each Ping stamped with its send time). Lag = when the mapper finished handling the Ping minus when it was published (broker transit included).`,
  '',
  '| agents | all registered after | pings handled/s | lag p50 | lag p99 | lag max | bare consumer lag p50 / p99 (control) | mapper CPU per ping | mapper CPU share | event-loop delay p99 | false suspects / downs | heap per known agent |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...follows.map((f) => `| ${f.agents} (${f.agentsSeen} live at the end) | ${fmt(f.registerMs / 1000)} s | ${Math.round(f.pingsPerSec)} | ${f.lagP50} ms | ${f.lagP99} ms | ${f.lagMax} ms | ${f.transitLag ? `${f.transitLag.p50} / ${f.transitLag.p99} ms` : '–'} | ${fmt(f.cpuPerPingUs)} µs | ${fmt(f.cpuShare * 100)} % of a core | ${fmt(f.delayP99)} ms | ${f.falseSuspects} / ${f.falseDowns} | ${Math.round(f.bytesPerAgent)} B |`),
  '',
  `**Broker fanout**: every Ping is delivered to every mapper's own queue, so M mappers × A agents pinging each second cost the broker M × A deliveries/s. Measured with ${fanoutAgents} simulated agents (one process) and M real mappers (each its own AMQP connection, spread over the processes given; roster ${fanoutRoster}); broker CPU from /proc, minus its CPU over 3 s just before (other work on the shared broker), divided by the deliveries; deliveries handled and heartbeat lag (Ping handled − Ping published) measured in every mapper over the window. A mapper *fell behind* when it handled 5 % fewer Pings than the median mapper or its lag p99 reached one ping interval (1 s).`,
  '',
  '| mappers × agents | processes | deliveries/s expected | handled/s (all mappers) | lag p50 (median mapper) | lag p99 (median / worst mapper) | mappers fell behind | broker CPU (net of idle) | broker µs per delivery | mapper µs per ping | every mapper saw all agents | run time |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ...fans.map((r) => `| ${r.mappers} × ${r.agents} | ${r.hosts} | ${r.deliveries.toLocaleString('en-US')} | ${Math.round(r.delivered).toLocaleString('en-US')} | ${fmt(r.lagP50Median, 0)} ms | ${fmt(r.lagP99Median, 0)} / ${fmt(r.lagP99Worst, 0)} ms | ${r.behind} of ${r.reported} | ${fmt((r.brokerBusy - r.brokerIdle) * 100)} % (idle ${fmt(r.brokerIdle * 100)} %) | ${fmt(r.brokerUsPerDelivery)} | ${fmt(r.mapperUsPerPing)} | ${r.minSeen >= r.agents ? 'yes' : `no (min ${r.minSeen})`} | ${fmt(r.totalMs / 1000, 0)} s |`),
  '',
  ...(fans.some((r) => r.mappers * r.agents >= 100_000) ? [] : [`Extrapolated: **100 mappers × 1,000 agents** = 100,000 deliveries/s ≈ ${fmt((usPer * 100_000) / 1e6, 2)} broker cores at the median ${fmt(usPer)} µs per delivery measured here (plus ~${fmt(Math.min(...fans.map((r) => r.mapperUsPerPing)) * 1000 / 1e6 * 100, 1)} % of a core per mapper for its 1,000 pings/s). Run it with \`--fanout=100 --fanoutAgents=1000\` on a quiet machine.`]),
  '',
  ...(picks.length ? [
  '**least_loaded pick cost** (ns per pick, in-process, latency-aware): past 32 candidates the default draws two at random (power of two choices); `scanLimit: Infinity` compares every one.',
  '',
  '| candidates | default (two choices past 32) | full scan |',
  '|---:|---:|---:|',
  ...picks.map((r) => `| ${r.n.toLocaleString('en-US')} | ${fmt(r.p2c, 0)} | ${fmt(r.scan, 0)} |`),
  ''] : []),
  'Limits and how to go past them: docs/scale.md.',
  '',
];
console.log(lines.join('\n'));
if (args.write) {
  const file = join(root, 'BENCHMARKS.md');
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), '## Scale', lines.join('\n')));
}
process.exit(0);
