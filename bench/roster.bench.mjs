#!/usr/bin/env node
// Roster benchmark (issue #13), against the real RabbitMQ with a unique prefix (removed at the end).
//
// detect: 3 mappers (own processes, roster on) + 1 baseline mapper (roster off: the fixed
//   timeout of 3 pings) watch real agents (own processes, 1 s ping). Each round SIGKILLs a batch
//   of agents; per agent, the time until EVERY roster mapper marked it down (agent:down), against
//   the baseline mapper's time for the same agents.
// false-down: 1,000 simulated agents (heartbeats published with raw amqplib: Register, then a Ping
//   every 1 s ± 50 %, jitter drawn per interval) watched by 3 mappers, one of which blocks its own
//   event loop for 1 s every --stall-every ms. Counts agent:down and agent:suspect (every agent is
//   alive, so each one is false) and the gossip each mapper sends.
//
// Usage: npm run build && node bench/roster.bench.mjs [--rounds 4] [--batch 5] [--seconds 60] [--stall-every 10000] [--only detect|false-down]
//   The full false-down run of the issue: --only false-down --seconds 600 --stall-every 60000
import { fork, execSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import amqp from 'amqplib';
import nanite from '@nanite/core';

const { removeAmqpTopology } = nanite;
const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const BROKER = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROUNDS = Number(arg('rounds', 4));
const BATCH = Number(arg('batch', 5));
const SECONDS = Number(arg('seconds', 60));
const STALL_EVERY = Number(arg('stall-every', 10_000));
const AGENTS = Number(arg('agents', 1000));
const ONLY = arg('only', '');
const load = () => execSync('uptime').toString().trim().replace(/^.*load average: /, '');

function child(script, args) {
  const p = fork(join(here, 'roster', script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    p.on('message', (m) => m.ev === 'ready' && resolve(m));
    p.on('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { p, ready };
}

async function stopAll(procs) {
  for (const { p } of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const gone = new Promise((r) => p.once('exit', r));
    p.send({ cmd: 'stop' });
    await Promise.race([gone, sleep(5_000)]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }
}

const pct = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function detect() {
  const prefix = `bench-roster-d-${process.pid}-${Date.now().toString(36)}`;
  const url = `${BROKER}?prefix=${prefix}`;
  const mappers = [0, 1, 2].map(() => child('mapper-proc.mjs', ['--url', url]));
  const baseline = child('mapper-proc.mjs', ['--url', url, '--roster', 'off']);
  await Promise.all([...mappers, baseline].map((m) => m.ready));
  const downs = new Map(); // id -> { roster: [t...], base: t }
  const seen = (id) => downs.get(id) ?? downs.set(id, { roster: [], base: undefined }).get(id);
  for (const m of mappers) m.p.on('message', (e) => e.ev === 'down' && seen(e.id).roster.push(e.at));
  baseline.p.on('message', (e) => e.ev === 'down' && (seen(e.id).base ??= e.at));
  const roster = [];
  const base = [];
  for (let round = 0; round < ROUNDS; round++) {
    const agents = Array.from({ length: BATCH }, (_, i) => ({ id: `r${round}-a${i}`, ...child('agent-proc.mjs', ['--url', url, '--id', `r${round}-a${i}`, '--ping', '1000']) }));
    await Promise.all(agents.map((a) => a.ready));
    await sleep(8_000); // ping history for the detector
    const killedAt = Date.now();
    for (const a of agents) a.p.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !agents.every((a) => (downs.get(a.id)?.roster.length ?? 0) >= 3 && downs.get(a.id)?.base)) await sleep(50);
    for (const a of agents) {
      const d = downs.get(a.id);
      if (d?.roster.length >= 3) roster.push(Math.max(...d.roster) - killedAt);
      if (d?.base) base.push(d.base - killedAt);
    }
    console.error(`round ${round + 1}/${ROUNDS}: roster ${roster.slice(-BATCH).join(', ')} ms; baseline ${base.slice(-BATCH).join(', ')} ms`);
  }
  await stopAll([...mappers, baseline]);
  await removeAmqpTopology(BROKER, prefix);
  return { samples: roster.length, missed: ROUNDS * BATCH - roster.length, p50: pct(roster, 0.5), p99: pct(roster, 0.99), max: Math.max(...roster), baseP50: pct(base, 0.5), baseP99: pct(base, 0.99) };
}

async function falseDown() {
  const prefix = `bench-roster-f-${process.pid}-${Date.now().toString(36)}`;
  const url = `${BROKER}?prefix=${prefix}`;
  const stalled = child('mapper-proc.mjs', ['--url', url, '--stall-every', String(STALL_EVERY), '--stall', '1000']);
  const others = [0, 1].map(() => child('mapper-proc.mjs', ['--url', url]));
  const all = [stalled, ...others];
  await Promise.all(all.map((m) => m.ready));
  const events = all.map(() => ({ down: 0, suspect: 0 }));
  all.forEach((m, i) => m.p.on('message', (e) => (e.ev === 'down' || e.ev === 'suspect') && events[i][e.ev]++));
  const conn = await amqp.connect(BROKER);
  const ch = await conn.createChannel();
  const exchange = `${prefix}.heartbeat`;
  await ch.assertExchange(exchange, 'fanout', { durable: true });
  const publish = (packet) => ch.publish(exchange, '', Buffer.from(JSON.stringify(packet)), { contentType: 'application/json' });
  const ids = Array.from({ length: AGENTS }, (_, i) => `sim-${i}`);
  for (const id of ids) publish({ v: 1, type: 'register', identity: id, routes: [{ route: '/sim/noop', idempotent: true }], tags: [], status: 0, concurrency: 1, pingInterval: 1000 });
  const timers = new Map();
  const schedule = (id) => timers.set(id, setTimeout(() => {
    publish({ v: 1, type: 'ping', identity: id, status: 0, inFlight: 0 });
    schedule(id);
  }, 500 + Math.random() * 1000));
  for (const id of ids) schedule(id);
  const statsOf = (m) => new Promise((resolve) => {
    const on = (e) => e.ev === 'stats' && (m.p.off('message', on), resolve(e));
    m.p.on('message', on);
    m.p.send({ cmd: 'stats' });
  });
  await sleep(10_000); // warm-up: every agent known, windows filled
  const before = await Promise.all(all.map(statsOf));
  const base = events.map((e) => ({ ...e }));
  await sleep(SECONDS * 1000);
  const after = await Promise.all(all.map(statsOf));
  for (const t of timers.values()) clearTimeout(t);
  await ch.close();
  await conn.close();
  await stopAll(all);
  await removeAmqpTopology(BROKER, prefix);
  return all.map((_, i) => ({
    mapper: i === 0 ? 'stalled' : `normal-${i}`,
    falseDowns: events[i].down - base[i].down,
    falseSuspects: events[i].suspect - base[i].suspect,
    stallsInjected: after[i].stalls - before[i].stalls,
    stallsDiscounted: after[i].stats.stalls - before[i].stats.stalls,
    gossipBytesPerSec: Math.round((after[i].stats.gossipBytesSent - before[i].stats.gossipBytesSent) / (after[i].seconds - before[i].seconds)),
    gossipMsgsPerSec: +((after[i].stats.gossipSent - before[i].stats.gossipSent) / (after[i].seconds - before[i].seconds)).toFixed(1),
    agentsInRegistry: after[i].agents,
    roster: after[i].roster,
  }));
}

console.error(`load before: ${load()}`);
const out = { when: new Date().toISOString(), node: process.version };
if (ONLY !== 'false-down') out.detect = await detect();
if (ONLY !== 'detect') out.falseDown = { agents: AGENTS, seconds: SECONDS, stallEvery: STALL_EVERY, mappers: await falseDown() };
out.load = load();
console.log(JSON.stringify(out, null, 2));
