#!/usr/bin/env node
// Stream throughput over amqp:// (issue #16): MB/s of one large result stream through Nanite
// (mapper.stream() with credit-based flow control) against raw amqplib moving the same chunks with
// the same flow control (a producer publishing at most `window` chunks ahead of a consumer that
// sends credit back every window/2 chunks), in one run, rounds interleaved, medians.
//
// Default (two processes, as users run it): the producer runs in a child process
// (bench/stream-producer.mjs; Nanite: the Agent with the streaming handler; raw: the amqplib
// publisher honouring credit), a fresh one per round, and the consumer in this process (Nanite:
// the Mapper reading mapper.stream(); raw: the amqplib consumer sending credit).
// --one-process: producer and consumer both in this process (the earlier measurement).
// MiB/s is taken at the consumer from its first to its last byte (the bytes after the first chunk
// over that time); the byte count is checked. CPU seconds per side: process.cpuUsage() from the
// producer's first chunk (the child reports its own over IPC) to the consumer's last byte.
//
// Usage: node bench/stream.bench.mjs [--mib 256] [--chunk-kib 256] [--window 16] [--rounds 3]
//        [--one-process] [--only raw|nanite]
// Needs the built @nanite/core (npx turbo run build --filter=@nanite/core) and RabbitMQ at
// NANITE_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672). Removes what it declares and ends
// every child it starts.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import nanite from '@nanite/core';
import { quiet, ROUTE, startBytesPair, withPrefix } from './lib/bytes-stream.mjs';

const { Mapper, removeAmqpTopology } = nanite;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
};
const MIB = arg('mib', 256);
const CHUNK = arg('chunk-kib', 256) * 1024;
const WINDOW = arg('window', 16);
const ROUNDS = arg('rounds', 3);
const ONE_PROCESS = process.argv.includes('--one-process');
// --only raw|nanite: one side alone (for profiling with --cpu-prof); ratios are then meaningless.
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = MIB * 1024 * 1024;
const COUNT = Math.ceil(TOTAL / CHUNK);
const block = randomBytes(CHUNK);
const PRODUCER = fileURLToPath(new URL('./stream-producer.mjs', import.meta.url));
const cpuSeconds = (u) => (u.user + u.system) / 1e6;

/** Counts what the consumer receives; MiB/s from the first to the last byte. */
class Meter {
  bytes = 0;
  chunks = 0;
  first = 0;
  firstBytes = 0;
  last = 0;
  add(length) {
    const now = performance.now();
    if (this.chunks++ === 0) {
      this.first = now;
      this.firstBytes = length;
    }
    this.bytes += length;
    this.last = now;
  }
  check(side) {
    if (this.bytes !== COUNT * CHUNK) throw new Error(`${side} moved ${this.bytes} bytes, expected ${COUNT * CHUNK}`);
  }
  mibPerSecond() {
    return (this.bytes - this.firstBytes) / 1024 / 1024 / ((this.last - this.first) / 1000);
  }
}

/** A producer child process; every one started is ended by end() or, failing that, by kill. */
const children = new Set();
class Producer {
  constructor(role, url) {
    this.child = fork(PRODUCER, [role, String(CHUNK), String(COUNT), String(WINDOW), url], {
      execArgv: process.env.NANITE_BENCH_CHILD_ARGS ? process.env.NANITE_BENCH_CHILD_ARGS.split(' ') : [],
    });
    children.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      children.delete(this.child);
      resolve({ code, signal });
    }));
  }
  next(type) {
    return new Promise((resolve, reject) => {
      const onMessage = (msg) => {
        if (msg?.type !== type) return;
        cleanup();
        resolve(msg);
      };
      const onExit = ({ code, signal }) => {
        cleanup();
        reject(new Error(`producer exited (${code ?? signal}) before '${type}'`));
      };
      const cleanup = () => this.child.off('message', onMessage);
      this.child.on('message', onMessage);
      void this.exited.then(onExit);
    });
  }
  send(msg) {
    this.child.send(msg);
  }
  /** `work`, failed if the child exits first (a dead producer must not leave the consumer waiting). */
  watch(work) {
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`producer exited (${code ?? signal}) mid-stream`);
    });
    return Promise.race([work, died]);
  }
  /** Stops the child, returns its CPU seconds over the stream and waits for it to exit. */
  async end() {
    const cpu = this.next('cpu');
    this.send({ type: 'stop' });
    const { cpu: usage } = await cpu;
    await this.exited;
    return cpuSeconds(usage);
  }
  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * The raw consumer: counts COUNT chunks from `data` and grants the producer credit on `credits`
 * every half window (Nanite's rule); `done` resolves on the last chunk.
 */
function consumeWithCredit(ch, data, credits) {
  const meter = new Meter();
  const done = new Promise((resolve) => {
    let since = 0;
    void ch.consume(data, (m) => {
      meter.add(m.content.length);
      if (++since >= WINDOW >> 1) {
        ch.sendToQueue(credits, Buffer.from(String(since)));
        since = 0;
      }
      if (meter.chunks === COUNT) resolve();
    }, { noAck: true });
  });
  return { meter, done };
}

async function rawTwoProcess() {
  const producer = new Producer('raw', URL_);
  const conn = await amqp.connect(URL_, { noDelay: true });
  try {
    const ch = await conn.createChannel();
    const data = (await ch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    const { credits } = await producer.next('ready');
    const { meter, done } = consumeWithCredit(ch, data, credits);
    const cpu0 = process.cpuUsage();
    producer.send({ type: 'go', data });
    await producer.watch(done);
    const consumerCpu = cpuSeconds(process.cpuUsage(cpu0));
    const producerCpu = await producer.end();
    meter.check('raw');
    return { mibs: meter.mibPerSecond(), producerCpu, consumerCpu };
  } finally {
    producer.kill();
    await conn.close();
  }
}

async function naniteTwoProcess() {
  const prefix = `bench-stream-${process.pid}-${Date.now().toString(36)}`;
  const url = withPrefix(URL_, prefix);
  const producer = new Producer('nanite', url);
  const mapper = new Mapper({ transport: url, logger: quiet });
  try {
    await producer.next('ready');
    await mapper.start();
    await mapper.waitForAgents({ route: ROUTE, timeout: 10_000 });
    const meter = new Meter();
    const cpu0 = process.cpuUsage();
    await producer.watch((async () => {
      for await (const chunk of mapper.stream(ROUTE, undefined, { window: WINDOW })) meter.add(chunk.length);
    })());
    const consumerCpu = cpuSeconds(process.cpuUsage(cpu0));
    const producerCpu = await producer.end();
    meter.check('nanite');
    return { mibs: meter.mibPerSecond(), producerCpu, consumerCpu };
  } finally {
    producer.kill();
    await mapper.close();
    await removeAmqpTopology(URL_, prefix, { routes: [ROUTE] });
  }
}

async function rawOneProcess() {
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
  const { meter, done } = consumeWithCredit(cch, data, credits);
  const cpu0 = process.cpuUsage();
  pump();
  await done;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  await prod.close();
  await cons.close();
  meter.check('raw');
  return { mibs: meter.mibPerSecond(), cpu };
}

async function naniteOneProcess() {
  const { mapper, close } = await startBytesPair(URL_, `bench-stream-${process.pid}-${Date.now().toString(36)}`, COUNT, block);
  try {
    const meter = new Meter();
    const cpu0 = process.cpuUsage();
    for await (const chunk of mapper.stream(ROUTE, undefined, { window: WINDOW })) meter.add(chunk.length);
    const cpu = cpuSeconds(process.cpuUsage(cpu0));
    meter.check('nanite');
    return { mibs: meter.mibPerSecond(), cpu };
  } finally {
    await close();
  }
}

const skipped = { mibs: NaN, cpu: NaN, producerCpu: NaN, consumerCpu: NaN };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runRaw = ONE_PROCESS ? rawOneProcess : rawTwoProcess;
const runNanite = ONE_PROCESS ? naniteOneProcess : naniteTwoProcess;
const rawRuns = [];
const naniteRuns = [];
const load = [];
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.on('exit', killChildren);
try {
  for (let r = 0; r < ROUNDS; r++) {
    load.push(loadavg()[0]);
    rawRuns.push(ONLY === 'nanite' ? skipped : await runRaw());
    naniteRuns.push(ONLY === 'raw' ? skipped : await runNanite());
    const cpu = (x) => (ONE_PROCESS ? `cpu ${x.cpu.toFixed(2)} s` : `cpu producer ${x.producerCpu.toFixed(2)} s, consumer ${x.consumerCpu.toFixed(2)} s`);
    console.error(`round ${r + 1} (load ${load[r].toFixed(1)}): raw ${rawRuns[r].mibs.toFixed(0)} MiB/s (${cpu(rawRuns[r])}), nanite ${naniteRuns[r].mibs.toFixed(0)} MiB/s (${cpu(naniteRuns[r])})`);
  }
} finally {
  killChildren();
}
const med = (runs, key) => median(runs.map((x) => x[key]));
const rawM = med(rawRuns, 'mibs');
const nanM = med(naniteRuns, 'mibs');
// Rounds are interleaved, so a round's ratio compares runs made under the same load.
const ratios = rawRuns.map((x, i) => naniteRuns[i].mibs / x.mibs);
const mode = ONE_PROCESS ? 'one process' : 'producer in a child process';
const cpuCell = (runs) => (ONE_PROCESS ? `${med(runs, 'cpu').toFixed(2)}` : `${med(runs, 'producerCpu').toFixed(2)} / ${med(runs, 'consumerCpu').toFixed(2)}`);
console.log(`| ${mode}: ${MIB} MiB, ${CHUNK / 1024} KiB chunks, window ${WINDOW}, ${ROUNDS} rounds | ${rawM.toFixed(0)} MiB/s (1.00×) | ${nanM.toFixed(0)} MiB/s (${(nanM / rawM).toFixed(2)}×) | ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${cpuCell(rawRuns)} | ${cpuCell(naniteRuns)} | ${median(load).toFixed(1)} |`);
