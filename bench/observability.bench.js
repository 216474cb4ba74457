#!/usr/bin/env node
// The cost of observability: mapper.request() round trips with no observer, with Prometheus
// metrics, with OpenTelemetry tracing through the API alone (no SDK registered: no-op spans), with
// an SDK recording every span (BasicTracerProvider, spans dropped by a NoopSpanProcessor), and with
// metrics + SDK tracing, over memory:// and amqp://, in one run. Modes alternate in short rounds
// (the machine is shared: drift hits every mode alike); each cell is the median of its rounds.
// Usage: npm run bench:observability [-- --seconds 1 --rounds 3 --amqp amqp://guest:guest@127.0.0.1:5672]
'use strict';
const { Agent, Mapper, defineActor, openTelemetryTracing, prometheusMetrics, removeAmqpTopology } = require('@nanite/core');
const { BasicTracerProvider, NoopSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { trace } = require('@opentelemetry/api');

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const seconds = Number(arg('--seconds', '1'));
const rounds = Number(arg('--rounds', '3'));
const amqpUrl = arg('--amqp', process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// The API alone: nothing registered, so spans are non-recording (what an app pays before it installs an SDK).
trace.disable();
const MODES = [
  { name: 'off', observers: () => [] },
  { name: 'metrics (prom-client)', observers: () => [prometheusMetrics()] },
  { name: 'tracing, API only (no-op)', observers: () => [openTelemetryTracing()] },
  { name: 'tracing, SDK recording', observers: () => [openTelemetryTracing({ tracerProvider: new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }) })] },
  { name: 'metrics + SDK tracing', observers: () => [prometheusMetrics(), openTelemetryTracing({ tracerProvider: new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }) })] },
];

async function rate(mapper, concurrency, ms) {
  const payload = { a: 1, b: 2 };
  let count = 0;
  const end = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < end) {
      for (let i = 0; i < 20; i++) await mapper.request('/calc/add', payload);
      count += 20;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function cluster(transportFor, mode) {
  const observers = mode.observers();
  const url = transportFor(mode);
  const agent = new Agent({ transport: url.url, identity: `bench-${MODES.indexOf(mode)}`, actors: [defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 256, observers });
  const mapper = new Mapper({ transport: url.url, logger: quiet, observers });
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/calc/add', timeout: 10_000 });
  return { mapper, close: async () => { await mapper.close(); await agent.stop(); await url.cleanup?.(); } };
}

async function table(label, transportFor, concurrencies) {
  const clusters = [];
  for (const mode of MODES) clusters.push(await cluster(transportFor, mode));
  const rows = [];
  try {
    for (const c of concurrencies) {
      for (const cl of clusters) await rate(cl.mapper, c, 300); // warm-up (JIT, channels)
      const samples = MODES.map(() => []);
      for (let r = 0; r < rounds; r++) {
        for (const [i, cl] of clusters.entries()) samples[i].push(await rate(cl.mapper, c, seconds * 1000));
      }
      const medians = samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
      for (const [i, mode] of MODES.entries()) rows.push({ label, mode: mode.name, c, rps: medians[i], ratio: medians[i] / medians[0] });
    }
  } finally {
    for (const cl of clusters) await cl.close();
  }
  return rows;
}

async function main() {
  const stamp = `${process.pid}-${Date.now()}`;
  const rows = [
    ...(await table('memory://', (mode) => ({ url: `memory://obs-bench-${MODES.indexOf(mode)}` }), [1, 64])),
    ...(await table('amqp://', (mode) => {
      const prefix = `obs-bench-${stamp}-${MODES.indexOf(mode)}`;
      return { url: `${amqpUrl}?prefix=${prefix}`, cleanup: () => removeAmqpTopology(amqpUrl, prefix) };
    }, [1, 64])),
  ];
  console.log(`node ${process.version}, ${seconds}s per cell per round, ${rounds} rounds (median), modes alternating\n`);
  console.log('| transport | observers | concurrency | requests/s | vs off |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.label} | ${r.mode} | ${r.c} | ${Math.round(r.rps).toLocaleString('en-US')} | ${r.ratio.toFixed(3)}x |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
