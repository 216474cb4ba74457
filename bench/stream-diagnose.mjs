#!/usr/bin/env node
// Where the amqp:// stream throughput goes (issue #16; findings in BENCHMARKS.md, "Streams over AMQP").
// Runs, interleaved round by round in one process: raw amqplib as in stream.bench.mjs, raw amqplib
// variants made step by step like Nanite's path, Nanite's AmqpTransport links driven by a hand loop
// (no Agent, Mapper or ResultStream), and full Nanite (mapper.stream()). Per run: MiB/s, this
// process's CPU (user+system) and its GCs by kind (minor/major/incremental) during the transfer.
//
// Usage: node bench/stream-diagnose.mjs [--mib 256] [--window 16] [--rounds 3] [--variants drt,hdr+ack+json,gen,links]
//   raw variant flags (join with +): drt = chunks on direct reply-to instead of a queue;
//   hdr = Nanite's chunk header and correlation id on every chunk; ack = credit through an
//   acknowledged consumer with prefetch 16; json = credit as a JSON packet; gen = the producer pulls
//   from an async generator. `links` = Nanite's transport links alone.
// Needs the built @nanite/core and RabbitMQ at NANITE_AMQP_URL. Removes what it declares.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import nanite from '@nanite/core';
import { ROUTE, startBytesPair, withPrefix } from './lib/bytes-stream.mjs';

const { AmqpTransport, removeAmqpTopology } = nanite;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const MIB = Number(arg('mib', 256));
const WINDOW = Number(arg('window', 16));
const ROUNDS = Number(arg('rounds', 3));
const VARIANTS = String(arg('variants', 'drt+hdr+ack+json+gen,links')).split(',').filter(Boolean);
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CHUNK = 256 * 1024;
const COUNT = Math.ceil((MIB * 1024 * 1024) / CHUNK);
const block = randomBytes(CHUNK);

// GCs by kind during a transfer (perf_hooks 'gc' entries: 1 minor, 4 major, 8 incremental).
const gcs = { 1: 0, 4: 0, 8: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail?.kind in gcs) gcs[e.detail.kind]++;
}).observe({ entryTypes: ['gc'] });
/** Measures `transfer` (resolves with bytes moved): MiB/s, CPU ms and GCs of this process meanwhile. */
async function measure(transfer) {
  for (const k in gcs) gcs[k] = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const bytes = await transfer();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (bytes !== COUNT * CHUNK) throw new Error(`moved ${bytes} bytes, expected ${COUNT * CHUNK}`);
  return { mibs: bytes / 1048576 / seconds, cpu: (used.user + used.system) / 1000, gc: `${gcs[1]}/${gcs[4]}/${gcs[8]}` };
}

async function raw(flags) {
  const has = (f) => flags.includes(f);
  const prod = await amqp.connect(URL_, { noDelay: true });
  const cons = await amqp.connect(URL_, { noDelay: true });
  const pch = await prod.createChannel();
  const cch = await cons.createChannel();
  let data = (await cch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
  const credits = (await pch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
  const header = { id: 1, from: 'agent-0123456789', seq: 0 };
  const props = has('hdr') ? { contentType: 'application/x-nanite-chunk', correlationId: 'mapper-0123456789', headers: { 'x-nanite-chunk': header } } : { contentType: 'application/octet-stream' };
  let credit = WINDOW;
  let sent = 0;
  let wake;
  const publish = (b) => {
    credit--;
    header.seq = sent++;
    pch.publish('', data, b, props);
  };
  const pump = () => {
    if (has('gen')) return wake?.();
    while (credit > 0 && sent < COUNT) publish(block);
  };
  if (has('ack')) await pch.prefetch(16);
  await pch.consume(credits, (m) => {
    credit += has('json') ? JSON.parse(m.content.toString()).n : Number(m.content.toString());
    if (has('ack')) pch.ack(m);
    pump();
  }, { noAck: !has('ack') });
  let got = 0;
  let bytes = 0;
  let since = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const onData = (m) => {
    got++;
    bytes += m.content.length;
    if (++since >= WINDOW >> 1) {
      cch.sendToQueue(credits, Buffer.from(has('json') ? JSON.stringify({ v: 1, type: 'credit', id: 1, replyTo: 'mapper-0123456789', n: since }) : String(since)));
      since = 0;
    }
    if (got === COUNT) done(bytes);
  };
  if (has('drt')) {
    await cch.consume('amq.rabbitmq.reply-to', onData, { noAck: true });
    // The consumer's direct reply-to address, as a request's replyTo shows it to its receiver.
    const probe = (await pch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    const address = new Promise((resolve) => void pch.consume(probe, (m) => resolve(m.properties.replyTo), { noAck: true }));
    cch.sendToQueue(probe, Buffer.from('address?'), { replyTo: 'amq.rabbitmq.reply-to' });
    data = await address;
  } else await cch.consume(data, onData, { noAck: true });
  const result = await measure(async () => {
    if (has('gen')) {
      void (async () => {
        async function* chunks() {
          for (let i = 0; i < COUNT; i++) yield block;
        }
        for await (const b of chunks()) {
          while (credit <= 0) await new Promise((resolve) => (wake = resolve));
          publish(b);
        }
      })();
    } else pump();
    return finished;
  });
  await prod.close();
  await cons.close();
  return result;
}

function naniteUrl(kind) {
  const prefix = `bench-diag-${kind}-${process.pid}-${Date.now().toString(36)}`;
  return { prefix, url: withPrefix(URL_, prefix) };
}

async function links() {
  const { prefix, url } = naniteUrl('links');
  const ta = new AmqpTransport({ url });
  const tm = new AmqpTransport({ url });
  await ta.connect();
  await tm.connect();
  let credit = 0;
  let seq = 0;
  const agent = await ta.openAgent('a1', {
    onPacket: (p, settle) => {
      settle();
      if (p.type === 'request') credit = p.stream;
      else if (p.type === 'credit') credit += p.n;
      else return;
      while (credit > 0 && seq < COUNT) {
        credit--;
        agent.reply('m1', { v: 1, type: 'chunk', id: 1, from: 'a1', seq: seq++, data: block });
      }
      if (seq === COUNT) agent.reply('m1', { v: 1, type: 'result', id: 1, from: 'a1', ok: true, result: { chunks: seq++ } });
    },
    onMalformed() {},
  }, { prefetch: 16 });
  let bytes = 0;
  let since = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const mapper = await tm.openMapper('m1', {
    onPacket: (p) => {
      if (p.type === 'result') done(bytes);
      if (p.type !== 'chunk') return;
      bytes += p.data.length;
      if (++since < WINDOW >> 1) return;
      mapper.send('a1', { v: 1, type: 'credit', id: 1, replyTo: 'm1', n: since });
      since = 0;
    },
    onMalformed() {},
    onUndeliverable() {},
  });
  const result = await measure(() => {
    mapper.send('a1', { v: 1, type: 'request', id: 1, route: '/bytes/gen', payload: null, replyTo: 'm1', timeout: 0, hops: 0, stream: WINDOW });
    return finished;
  });
  await ta.close();
  await tm.close();
  await removeAmqpTopology(URL_, prefix, { routes: [ROUTE] });
  return result;
}

async function viaNanite() {
  const { mapper, close } = await startBytesPair(URL_, naniteUrl('nanite').prefix, COUNT, block);
  const result = await measure(async () => {
    let bytes = 0;
    for await (const chunk of mapper.stream(ROUTE, undefined, { window: WINDOW })) bytes += chunk.length;
    return bytes;
  });
  await close();
  return result;
}

const runs = { raw: () => raw([]), ...Object.fromEntries(VARIANTS.map((v) => [v, v === 'links' ? links : () => raw(v.split('+'))])), nanite: viaNanite };
const results = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  const line = [`round ${r + 1}, load ${loadavg()[0].toFixed(1)}`];
  for (const [name, run] of Object.entries(runs)) {
    const x = await run();
    results[name].push(x);
    line.push(`${name} ${x.mibs.toFixed(0)} MiB/s cpu ${x.cpu.toFixed(0)} ms gc ${x.gc}`);
  }
  console.error(line.join(' | '));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| run (${MIB} MiB, window ${WINDOW}, ${ROUNDS} rounds) | MiB/s (median) | / raw, per round (median) | CPU ms (median) | GCs minor/major/incremental (last round) |`);
console.log('|---|---|---|---|---|');
for (const [name, xs] of Object.entries(results)) {
  const ratio = median(xs.map((x, i) => x.mibs / results.raw[i].mibs));
  console.log(`| ${name} | ${median(xs.map((x) => x.mibs)).toFixed(0)} | ${ratio.toFixed(2)}× | ${median(xs.map((x) => x.cpu)).toFixed(0)} | ${xs[xs.length - 1].gc} |`);
}
