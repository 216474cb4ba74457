#!/usr/bin/env node
// Direct mode vs the broker, in ONE run: raw amqplib RPC (the amqplib @nanite/core depends on),
// Nanite over amqp://, Nanite in direct mode (SP over TCP, amqp:// as the control plane) and a
// raw node:net echo. Responder and caller in separate processes; payload {"a":1,"b":2} → sum
// (the raw echo returns the 13 bytes). Prints requests/s at concurrency 1/64/256, p50 at 1, and
// the ratios the issue asks for.
//
//   npx turbo run build --filter=@nanite/core --output-logs=errors-only
//   node bench/direct.mjs [--seconds=3] [--rounds=1] [--url=amqp://guest:guest@127.0.0.1:5672] [--systems=amqplib,broker,direct,tcp]
//
// Each phase runs --seconds after a 1 s warm-up; with --rounds > 1 rounds interleave the systems
// and every cell is the median. The machine is shared: read the ratios, and note `uptime`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { arg, measureCalls, median, serveTcpEcho, tcpEchoClient } from './lib/rpc-harness.mjs';

const require = createRequire(import.meta.url);
const SECONDS = Number(arg('seconds', 3));
const ROUNDS = Number(arg('rounds', 1));
const URL_ = arg('url', process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const CONCURRENCY = arg('concurrency', '1,64,256').split(',').map(Number);
const SYSTEMS = arg('systems', 'amqplib,broker,direct,tcp').split(',');
const LABEL = {
  amqplib: 'raw amqplib RPC (direct reply-to, prefetch 256, ack after reply, no-delay)',
  broker: 'Nanite request over amqp://',
  direct: 'Nanite request, direct mode (SP/TCP, amqp:// control plane)',
  tcp: 'raw node:net echo (4-byte length prefix)',
};
const run = arg('run', `${process.pid}-${Date.now().toString(36)}`);
const naniteUrl = `${URL_}${URL_.includes('?') ? '&' : '?'}prefix=bench-direct-${run}`;
const BODY = Buffer.from(JSON.stringify({ a: 1, b: 2 }));
const amqplib = () => createRequire(require.resolve('@nanite/core'))('amqplib');

// ---------- responders (child process) ----------

async function serve(system) {
  if (system === 'tcp') return String(await serveTcpEcho());
  if (system === 'amqplib') {
    const conn = await amqplib().connect(URL_, { noDelay: true });
    const ch = await conn.createChannel();
    const queue = `bench-direct-raw-${run}`;
    await ch.assertQueue(queue, { durable: false, autoDelete: true });
    await ch.prefetch(256);
    await ch.consume(queue, (m) => {
      const req = JSON.parse(m.content.toString());
      ch.publish('', m.properties.replyTo, Buffer.from(JSON.stringify(req.a + req.b)), { correlationId: m.properties.correlationId });
      ch.ack(m);
    });
    return queue;
  }
  const { Agent, defineActor } = require('@nanite/core');
  const agent = new Agent({
    transport: naniteUrl,
    identity: `bench-${system}`,
    concurrency: 256,
    actors: [defineActor('bench', { sum: (p) => p.a + p.b })],
    ...(system === 'direct' ? { listen: 'tcp://127.0.0.1:0' } : {}),
  });
  await agent.start();
  return agent.endpoint ?? 'ready';
}

// ---------- callers ----------

async function client(system, info) {
  if (system === 'tcp') {
    const echo = await tcpEchoClient(Number(info));
    return { call: () => echo.call(BODY), close: echo.close };
  }
  if (system === 'amqplib') {
    const conn = await amqplib().connect(URL_, { noDelay: true });
    const ch = await conn.createChannel();
    const pending = new Map();
    await ch.consume('amq.rabbitmq.reply-to', (m) => {
      const cb = pending.get(m.properties.correlationId);
      pending.delete(m.properties.correlationId);
      cb(JSON.parse(m.content.toString()));
    }, { noAck: true });
    let id = 0;
    return {
      call: () => new Promise((resolve) => {
        const cid = String(++id);
        pending.set(cid, resolve);
        ch.publish('', info, BODY, { replyTo: 'amq.rabbitmq.reply-to', correlationId: cid });
      }),
      close: () => conn.close(),
    };
  }
  const { Mapper } = require('@nanite/core');
  const mapper = new Mapper({ transport: naniteUrl, ...(system === 'direct' ? { direct: true } : {}) });
  await mapper.start();
  await mapper.waitForAgents({ route: '/bench/sum', timeout: 30_000 });
  const payload = { a: 1, b: 2 };
  return { call: () => mapper.request('/bench/sum', payload), close: () => mapper.close() };
}

async function measure(system) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--serve=${system}`, `--url=${URL_}`, `--run=${run}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`${system} responder exited (${code})`)));
  });
  let c;
  try {
    c = await client(system, info);
    // The warm-up also lets the direct mapper dial the agent's endpoint.
    return await measureCalls(c.call, CONCURRENCY, SECONDS);
  } finally {
    await c?.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

async function main() {
  const system = arg('serve', '');
  if (system) {
    process.stdout.write(`${await serve(system)}\n`);
    process.on('SIGTERM', () => process.exit(0));
    return;
  }
  const runs = Object.fromEntries(SYSTEMS.map((s) => [s, []]));
  for (let r = 0; r < ROUNDS; r++) for (const s of SYSTEMS) runs[s].push(await measure(s));
  const cell = (s, k) => median(runs[s].map((x) => x[k]));
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const ratio = (s, k, base = 'amqplib') => (runs[s]?.length && runs[base]?.length ? `${(cell(s, k) / cell(base, k)).toFixed(2)}×` : '—');
  console.log(`Direct mode benchmark, ${SECONDS} s per phase, ${ROUNDS} round(s), Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| system | req/s @1 | req/s @64 | req/s @256 | p50 @1 (µs) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const s of SYSTEMS) {
    const cells = CONCURRENCY.map((c) => `${fmt(cell(s, c))} (${ratio(s, c)})`);
    console.log(`| ${LABEL[s]} | ${cells.join(' | ')} | ${fmt(cell(s, 'p50us'))} (${ratio(s, 'p50us')}) |`);
  }
  console.log('');
  console.log(`Goals: direct ≥ 5× raw amqplib at 64 and 256: ${ratio('direct', 64)}, ${ratio('direct', 256)}; direct ≥ 0.7× raw TCP echo (at 256): ${ratio('direct', 256, 'tcp')} (at 64: ${ratio('direct', 64, 'tcp')}); p50 @1 ≤ 0.5× raw amqplib: ${ratio('direct', 'p50us')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
