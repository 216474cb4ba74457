#!/usr/bin/env node
// SP REQ/REP echo vs a raw node:net length-prefixed echo, over loopback, server and client in
// separate processes. Prints requests/s at concurrency 1/64/256, p50 at 1, and the SP/raw ratio.
//
//   npx turbo run build --filter=@nanite/core --output-logs=errors-only
//   node bench/sp-echo.mjs [--seconds=3] [--rounds=1] [--size=13]
//
// Each phase runs --seconds after a 1 s warm-up; with --rounds > 1 the rounds interleave the two
// systems and every cell is the median. Numbers on a shared machine are noisy: read the ratio.
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const arg = (name, def) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
};
const SECONDS = Number(arg('seconds', 3));
const ROUNDS = Number(arg('rounds', 1));
const SIZE = Number(arg('size', 13));
const CONCURRENCY = [1, 64, 256];

// ---------- servers (child process) ----------

async function serveRaw() {
  const server = createServer({ noDelay: true }, (sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let at = 0;
      while (buf.length - at >= 4) {
        const n = buf.readUInt32BE(at);
        if (buf.length - at < 4 + n) break;
        sock.write(buf.subarray(at, at + 4 + n));
        at += 4 + n;
      }
      buf = buf.subarray(at);
    });
    sock.on('error', () => undefined);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `tcp://127.0.0.1:${server.address().port}`;
}

async function serveSp() {
  const { SpRepSocket } = require('@nanite/core');
  const rep = new SpRepSocket({ handler: (r) => r.body });
  return (await rep.listen('tcp://127.0.0.1:0')).url;
}

// ---------- clients ----------

async function rawClient(url) {
  const port = Number(url.slice(url.lastIndexOf(':') + 1));
  const sock = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  const waiting = [];
  let buf = Buffer.alloc(0);
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readUInt32BE(at);
      if (buf.length - at < 4 + n) break;
      waiting.shift()(buf.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    buf = buf.subarray(at);
  });
  return {
    call(body) {
      const frame = Buffer.allocUnsafe(4 + body.length);
      frame.writeUInt32BE(body.length, 0);
      body.copy(frame, 4);
      return new Promise((resolve) => {
        waiting.push(resolve);
        sock.write(frame);
      });
    },
    close: () => sock.destroy(),
  };
}

async function spClient(url) {
  const { SpReqSocket } = require('@nanite/core');
  const req = new SpReqSocket();
  req.dial(url);
  await req.whenConnected(1, 5_000);
  return { call: (body) => req.request(body), close: () => req.close() };
}

async function phase(call, concurrency, seconds, latencies) {
  const body = Buffer.alloc(SIZE, 0x61);
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await call(body);
      done++;
      if (latencies) latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}

async function measure(system) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--serve=${system}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  const client = system === 'sp' ? await spClient(url) : await rawClient(url);
  try {
    await phase(client.call, 64, 1, null);
    const out = {};
    for (const c of CONCURRENCY) {
      const lat = c === 1 ? [] : null;
      out[c] = await phase(client.call, c, SECONDS, lat);
      if (lat) out.p50us = lat.sort((a, b) => a - b)[Math.floor(lat.length / 2)] * 1000;
    }
    return out;
  } finally {
    await client.close();
    child.kill('SIGKILL');
  }
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const serve = arg('serve', '');
  if (serve) {
    process.stdout.write(`${serve === 'sp' ? await serveSp() : await serveRaw()}\n`);
    return;
  }
  const runs = { raw: [], sp: [] };
  for (let r = 0; r < ROUNDS; r++) for (const s of ['raw', 'sp']) runs[s].push(await measure(s));
  const cell = (s, k) => median(runs[s].map((x) => x[k]));
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`SP REQ/REP echo vs raw node:net echo, ${SIZE}-byte body, ${SECONDS} s per phase, ${ROUNDS} round(s), Node ${process.version}`);
  console.log('| system | req/s @1 | req/s @64 | req/s @256 | p50 @1 (µs) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const s of ['raw', 'sp']) console.log(`| ${s === 'sp' ? 'SP REQ/REP (@nanite/core)' : 'raw node:net echo'} | ${CONCURRENCY.map((c) => fmt(cell(s, c))).join(' | ')} | ${fmt(cell(s, 'p50us'))} |`);
  console.log(`| SP / raw | ${CONCURRENCY.map((c) => `${(cell('sp', c) / cell('raw', c)).toFixed(2)}x`).join(' | ')} | ${(cell('sp', 'p50us') / cell('raw', 'p50us')).toFixed(2)}x |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
