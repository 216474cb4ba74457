#!/usr/bin/env node
// Stream throughput over amqp:// (issue #16): MB/s of one large result stream through Nanite
// (agent + mapper in this process, mapper.stream() with credit-based flow control) against raw
// amqplib moving the same chunks with the same flow control (a producer publishing at most `window`
// chunks ahead of a consumer that sends credit back every window/2 chunks), in one run, interleaved.
//
// Usage: node bench/stream.bench.mjs [--mib 256] [--chunk-kib 256] [--window 16] [--rounds 3] [--only raw|nanite]
// Needs the built @nanite/core (npx turbo run build --filter=@nanite/core) and RabbitMQ at
// NANITE_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). Removes what it declares.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import nanite from '@nanite/core';

const { Agent, Mapper, defineActor, removeAmqpTopology } = nanite;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
};
const MIB = arg('mib', 256);
const CHUNK = arg('chunk-kib', 256) * 1024;
const WINDOW = arg('window', 16);
const ROUNDS = arg('rounds', 3);
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = MIB * 1024 * 1024;
const COUNT = Math.ceil(TOTAL / CHUNK);
const block = randomBytes(CHUNK);

async function raw() {
  const opts = { noDelay: true };
  const prod = await amqp.connect(URL_, opts);
  const cons = await amqp.connect(URL_, opts);
  const pch = await prod.createChannel();
  const cch = await cons.createChannel();
  const data = (await cch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
  const credits = (await pch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
  let credit = WINDOW;
  let sent = 0;
  const pump = () => {
    while (credit > 0 && sent < COUNT) {
      credit--;
      sent++;
      pch.publish('', data, block, { contentType: 'application/octet-stream' });
    }
  };
  await pch.consume(credits, (m) => {
    credit += Number(m.content.toString());
    pump();
  }, { noAck: true });
  const started = performance.now();
  const done = new Promise((resolve) => {
    let got = 0;
    let bytes = 0;
    let since = 0;
    void cch.consume(data, (m) => {
      got++;
      bytes += m.content.length;
      if (++since >= WINDOW >> 1) {
        cch.sendToQueue(credits, Buffer.from(String(since)));
        since = 0;
      }
      if (got === COUNT) resolve(bytes);
    }, { noAck: true });
  });
  pump();
  const bytes = await done;
  const seconds = (performance.now() - started) / 1000;
  await prod.close();
  await cons.close();
  return bytes / 1024 / 1024 / seconds;
}

async function viaNanite() {
  const prefix = `bench-stream-${process.pid}-${Date.now().toString(36)}`;
  const url = `${URL_}${URL_.includes('?') ? '&' : '?'}prefix=${prefix}`;
  const actor = defineActor('bytes', {
    async *gen() {
      for (let i = 0; i < COUNT; i++) yield block;
    },
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const agent = new Agent({ transport: url, actors: [actor], logger: quiet });
  const mapper = new Mapper({ transport: url, logger: quiet });
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/bytes/gen', timeout: 10_000 });
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of mapper.stream('/bytes/gen', undefined, { window: WINDOW })) bytes += chunk.length;
  const seconds = (performance.now() - started) / 1000;
  await mapper.close();
  await agent.close();
  await removeAmqpTopology(URL_, prefix);
  if (bytes !== COUNT * CHUNK) throw new Error(`nanite stream moved ${bytes} bytes, expected ${COUNT * CHUNK}`);
  return bytes / 1024 / 1024 / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rawRuns = [];
const naniteRuns = [];
const load = [];
// --only raw|nanite: one side alone (for profiling with --cpu-prof); ratios are then meaningless.
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
for (let r = 0; r < ROUNDS; r++) {
  load.push(loadavg()[0]);
  rawRuns.push(ONLY === 'nanite' ? NaN : await raw());
  naniteRuns.push(ONLY === 'raw' ? NaN : await viaNanite());
  console.error(`round ${r + 1}: raw ${rawRuns[r].toFixed(0)} MiB/s, nanite ${naniteRuns[r].toFixed(0)} MiB/s`);
}
const rawM = median(rawRuns);
const nanM = median(naniteRuns);
// Rounds are interleaved, so a round's ratio compares runs made under the same load.
const ratios = rawRuns.map((r, i) => naniteRuns[i] / r);
console.log(`| ${MIB} MiB, ${CHUNK / 1024} KiB chunks, window ${WINDOW}, ${ROUNDS} rounds | ${rawM.toFixed(0)} MiB/s (1.00×) | ${nanM.toFixed(0)} MiB/s (${(nanM / rawM).toFixed(2)}×) | ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${median(load).toFixed(1)} |`);
