#!/usr/bin/env node
// Flood benchmark (issue #10): what a hostile or broken peer on the broker can do to a live agent and
// mapper. Against the real RabbitMQ, with a unique prefix removed at the end, an agent and a mapper
// run IN THIS PROCESS (so RSS is theirs together) while raw amqplib publishes flood them:
//   1. forged pushes flagged at-most-once to the agent's queue
//   2. forged Registers (random identities, pingInterval 2^53-1) to the heartbeat exchange
//   3. junk (random bytes, invalid JSON, mutated packets) to the agent and the mapper
//   4. abandoned requests: callers with short timeouts behind a slow handler
// After each: RSS and heap against the baseline, the time to serve a legitimate request (median),
// abandoned requests that still ran, and the counters the product exposes. Every phase is capped in
// count and in time. Goal: legitimate requests served in < 100 ms after each flood, RSS growth < 50 MB.
//
// Usage: npm run bench:flood [-- --scale 0.1] [--phase-seconds 60] [--write]
//   --scale         multiply every flood size (1 = 100k/100k/200k/20k)
//   --phase-seconds cap on each phase (publishing + draining)
//   --write         replace (or append) the "Flood (hardening)" section of BENCHMARKS.md
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import nanite from '@nanite/core';

const { Agent, Mapper, AmqpTransport, amqpNames, defineActor, removeAmqpTopology } = nanite;

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
};
const SCALE = arg('scale', 1);
const PHASE_MS = arg('phase-seconds', 60) * 1_000;
const WRITE = process.argv.includes('--write');
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const host = new URL(URL_).hostname;
if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
  console.error(`flood: refusing to flood ${host}: loopback brokers only`);
  process.exit(2);
}
const PREFIX = `flood-${process.pid}-${Date.now().toString(36)}`;
const N = amqpNames(PREFIX);
const sizes = {
  pushes: Math.round(100_000 * SCALE),
  registers: Math.round(100_000 * SCALE),
  junk: Math.round(200_000 * SCALE),
  abandoned: Math.round(20_000 * SCALE),
};

// ---- escapes and logs: counted, never printed one per item --------------------------------------
const escapes = [];
process.on('uncaughtException', (e) => escapes.push(`uncaught: ${e?.message ?? e}`));
process.on('unhandledRejection', (e) => escapes.push(`unhandled: ${e?.message ?? e}`));
const logLines = { warn: 0, error: 0 };
const logger = { debug() {}, info() {}, warn() { logLines.warn++; }, error() { logLines.error++; } };

// ---- the live agent and mapper -----------------------------------------------------------------
let maxQueued = 0;
let queuedNow = 0;
let abandonedRan = 0;
const agent = new Agent({
  transport: new AmqpTransport({ url: URL_, prefix: PREFIX, logger }),
  identity: 'flood-agent',
  concurrency: 16,
  // Short, so the status function (our only public view of the agent's waiting queue) samples often.
  pingInterval: 200,
  logger,
  status: (i) => {
    maxQueued = Math.max(maxQueued, i.queued);
    queuedNow = i.queued;
    return (i.inFlight + i.queued) / i.concurrency;
  },
  actors: [defineActor('flood', {
    ping: (p) => ({ pong: p }),
    work: async () => { await sleep(2); return 'done'; },
    slow: async (p) => {
      if (p && p.abandoned) abandonedRan++;
      await sleep(10);
      return 'slow';
    },
  })],
});
const mapper = new Mapper({ transport: new AmqpTransport({ url: URL_, prefix: PREFIX, logger }), identity: 'flood-mapper', logger, timeout: 5_000, discoveryWindow: 0 });

const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
function memory() {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** Median time of `count` sequential legitimate requests; failures are counted, not timed. */
async function legit(count = 5) {
  const times = [];
  const errors = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      await mapper.request('/flood/ping', i, { timeout: 5_000 });
      times.push(performance.now() - t0);
    } catch (e) {
      errors.push(e.code ?? String(e));
    }
  }
  times.sort((a, b) => a - b);
  return { median: times.length ? Math.round(times[times.length >> 1] * 10) / 10 : undefined, errors };
}

// ---- the intruder's raw channel ------------------------------------------------------------------
const conn = await amqp.connect(URL_);
let ch = await conn.createChannel();
ch.on('error', () => undefined);
async function publish(exchange, key, content, props = {}) {
  if (!ch.publish(exchange, key, content, props)) await new Promise((r) => ch.once('drain', r));
}

/** Publishes `count` messages from `make(i)` until done or `deadline`; returns how many went out. */
async function flood(count, deadline, make) {
  let sent = 0;
  for (; sent < count && Date.now() < deadline; sent++) {
    const [exchange, key, content, props] = make(sent);
    await publish(exchange, key, content, props);
  }
  return sent;
}

/** Waits until `done()` or the deadline; returns whether it got there. */
async function until(done, deadline) {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

const json = (v) => Buffer.from(JSON.stringify(v));
const countErrors = (errors) => {
  if (!errors.length) return '0';
  const counts = new Map();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...counts].map(([e, n]) => `${n}× ${e}`).join(', ');
};
const pick = (a) => a[Math.floor(Math.random() * a.length)];
const WEIRD = ['', 'x'.repeat(10_000), true, null, [], {}, -1, 1.5, 2 ** 53 - 1, 1e308, -1e300, { __proto__: null, polluted: 1 }, 'NANITE_ERR_FROM_A_NEWER_PEER'];
function mutated(i) {
  const base = pick([
    { v: 1, type: 'request', id: i, route: '/flood/ping', payload: 1, replyTo: 'flood-mapper', timeout: 1_000, hops: 0 },
    { v: 1, type: 'push', id: i, route: '/flood/ping', payload: 1, replyTo: 'nobody', timeout: 0, hops: 0 },
    { v: 1, type: 'cancel', id: i, replyTo: 'flood-mapper' },
    { v: 1, type: 'result', id: i, from: 'flood-agent', ok: false, error: { code: 'NANITE_ERR_FROM_A_NEWER_PEER', message: 'x', retryable: false } },
    { v: 1, type: 'progress', id: i, from: 'forged', key: 'k', value: 1 },
    { v: 1, type: 'ping', identity: `junk-${i}`, status: -1e300, inFlight: 0 },
  ]);
  const keys = Object.keys(base).filter((k) => k !== 'type' && k !== 'v' && k !== 'id');
  base[pick(keys)] = pick(WEIRD);
  return base;
}
function junk(i) {
  const toAgent = i % 2 === 0;
  const kind = i % 3;
  const content = kind === 0 ? randomBytes(1 + (i % 200)) : kind === 1 ? Buffer.from(`{"v":1,"type":"request","id":${i},`) : json(mutated(i));
  if (toAgent) return [N.agent, agent.identity, content, i % 4 === 0 ? { type: 'at-most-once' } : {}];
  return i % 4 === 1 ? [N.heartbeat, '', content, {}] : [N.reply, mapper.identity, content, {}];
}

// ---- the run -------------------------------------------------------------------------------------
const rows = [];
async function measure(phase, sent, sendMs, extra = {}) {
  // Right after the flood, as a user would meet it; then again once the agent has worked off its backlog.
  const l = await legit();
  const m = memory();
  const queuedAtFlood = maxQueued;
  const drained = await until(() => agent.inFlight === 0 && queuedNow === 0 && mapper.stats.pending === 0, phaseDeadline);
  const after = memory();
  const row = {
    phase, sent, sendMs,
    rss: mb(m.rss - baseline.rss), heap: mb(m.heap - baseline.heap),
    legit: l.median, legitErrors: l.errors,
    drained, rssDrained: mb(after.rss - baseline.rss),
    agents: mapper.agents().length, maxQueued: queuedAtFlood,
    agentStats: { ...agent.stats }, mapperStats: { ...mapper.stats }, logLines: { ...logLines },
    escapes: escapes.length, ...extra,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
  maxQueued = 0;
}

let phaseDeadline = 0;
let baseline;
try {
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/flood/ping', timeout: 10_000 });
  await legit(20); // warm up
  baseline = memory();
  const warm = await legit();
  console.log(`flood: prefix ${PREFIX}, agent and mapper in-process, baseline RSS ${mb(baseline.rss)} MB, legitimate request ${warm.median} ms`);

  // 1. Forged pushes flagged at-most-once.
  let t0 = Date.now();
  phaseDeadline = t0 + PHASE_MS;
  let sent = await flood(sizes.pushes, phaseDeadline, (i) => [N.agent, agent.identity, json({ v: 1, type: 'push', id: i, route: '/flood/work', payload: i, replyTo: 'nobody', timeout: 0, hops: 0 }), { type: 'at-most-once' }]);
  await measure('forged pushes (at-most-once)', sent, Date.now() - t0);

  // 2. Forged Registers.
  t0 = Date.now();
  phaseDeadline = t0 + PHASE_MS;
  sent = await flood(sizes.registers, phaseDeadline, (i) => [N.heartbeat, '', json({ v: 1, type: 'register', identity: `forged-${i}-${randomBytes(4).toString('hex')}`, routes: [{ route: `/forged/r${i % 100}`, idempotent: false }], tags: ['x'], status: -1e300, concurrency: 1, pingInterval: 2 ** 53 - 1 }), {}]);
  await until(() => mapper.agents().length >= sent, Math.min(phaseDeadline, Date.now() + 5_000));
  await measure('forged Registers (pingInterval 2^53-1)', sent, Date.now() - t0);

  // 3. Junk to both.
  t0 = Date.now();
  phaseDeadline = t0 + PHASE_MS;
  sent = await flood(sizes.junk, phaseDeadline, junk);
  await measure('junk (bytes, bad JSON, mutated packets)', sent, Date.now() - t0);

  // 4. Abandoned requests: 50 ms callers behind a 10 ms handler at concurrency 16.
  t0 = Date.now();
  phaseDeadline = t0 + PHASE_MS;
  abandonedRan = 0;
  const calls = [];
  for (let i = 0; i < sizes.abandoned && Date.now() < phaseDeadline; i++) {
    calls.push(mapper.request('/flood/slow', { abandoned: true }, { timeout: 50 }).then(() => 'ok', (e) => e.code ?? 'error'));
    if (i % 1_000 === 999) await sleep(0);
  }
  const outcomes = await Promise.all(calls);
  const timedOut = outcomes.filter((o) => o === 'NANITE_ERR_TIMEOUT').length;
  const callerOutcomes = countErrors(outcomes);
  const sendMs = Date.now() - t0;
  // Give the agent time to run what is still queued, so "executed" counts it.
  let last = -1;
  while (Date.now() < phaseDeadline && abandonedRan !== last) {
    last = abandonedRan;
    await sleep(1_000);
  }
  await measure('abandoned requests (50 ms timeout)', calls.length, sendMs, { timedOut, callerOutcomes, abandonedRan });
} finally {
  await ch.close().catch(() => undefined);
  await conn.close().catch(() => undefined);
  await mapper.close().catch((e) => console.error('mapper close:', e.message));
  const t = Date.now();
  await agent.stop().catch((e) => console.error('agent stop:', e.message));
  console.log(`flood: agent stopped in ${Date.now() - t} ms`);
  await removeAmqpTopology(URL_, PREFIX);
}

// ---- report --------------------------------------------------------------------------------------
const ok = (r) => r.legit !== undefined && r.legit < 100 && r.legitErrors.length === 0 && r.rss < 50;
const lines = [
  '| Flood | Sent | Send (ms) | RSS Δ (MB) | Heap Δ (MB) | Legit request (median ms) | Legit failures | Drained in cap | RSS Δ drained (MB) | Registry size | Max agent queue | Abandoned that ran | Malformed (agent/mapper) | Log lines (warn/error, cumulative) | Goal met |',
  '|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|---|---|',
  ...rows.map((r) => `| ${r.phase} | ${r.sent} | ${r.sendMs} | ${r.rss} | ${r.heap} | ${r.legit ?? 'none served'} | ${countErrors(r.legitErrors)} | ${r.drained ? 'yes' : 'no'} | ${r.rssDrained} | ${r.agents} | ${r.maxQueued} | ${r.abandonedRan ?? '–'} | ${r.agentStats.malformed}/${r.mapperStats.malformed} | ${r.logLines.warn}/${r.logLines.error} | ${ok(r) ? 'yes' : 'no'} |`),
];
const table = lines.join('\n');
console.log(`\n${table}\n`);
if (escapes.length) console.log(`escapes: ${escapes.length} (first: ${escapes[0]})`);

if (WRITE) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const section = [
    '## Flood (hardening)',
    '',
    `\`npm run bench:flood\` (bench/flood.mjs), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, RabbitMQ on loopback, agent (concurrency 16) and mapper in one process, scale ${SCALE}, each phase capped at ${PHASE_MS / 1000} s.`,
    'Goal (issue #10): a legitimate request served in < 100 ms after each flood, RSS growth < 50 MB.',
    '',
    table,
    '',
  ].join('\n');
  const md = readFileSync(file, 'utf8');
  const start = md.indexOf('## Flood (hardening)');
  let out;
  if (start < 0) out = `${md.trimEnd()}\n\n${section}`;
  else {
    const next = md.indexOf('\n## ', start + 1);
    out = md.slice(0, start) + section + (next < 0 ? '' : `\n${md.slice(next + 1)}`);
  }
  writeFileSync(file, out);
  console.log('flood: BENCHMARKS.md updated');
}
process.exitCode = escapes.length ? 1 : 0;
