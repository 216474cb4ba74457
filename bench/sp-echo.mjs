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
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { arg, measureCalls, median, serveTcpEcho, tcpEchoClient } from './lib/rpc-harness.mjs';

const require = createRequire(import.meta.url);
const SECONDS = Number(arg('seconds', 3));
const ROUNDS = Number(arg('rounds', 1));
const SIZE = Number(arg('size', 13));
const CONCURRENCY = [1, 64, 256];

// ---------- servers (child process) ----------

async function serveRaw() {
  return `tcp://127.0.0.1:${await serveTcpEcho()}`;
}

async function serveSp() {
  const { SpRepSocket } = require('@nanite/core');
  const rep = new SpRepSocket({ handler: (r) => r.body });
  return (await rep.listen('tcp://127.0.0.1:0')).url;
}

// ---------- clients ----------

async function rawClient(url) {
  return tcpEchoClient(Number(url.slice(url.lastIndexOf(':') + 1)));
}

async function spClient(url) {
  const { SpReqSocket } = require('@nanite/core');
  const req = new SpReqSocket();
  req.dial(url);
  await req.whenConnected(1, 5_000);
  return { call: (body) => req.request(body), close: () => req.close() };
}

async function measure(system) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--serve=${system}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  const client = system === 'sp' ? await spClient(url) : await rawClient(url);
  try {
    const body = Buffer.alloc(SIZE, 0x61);
    return await measureCalls(() => client.call(body), CONCURRENCY, SECONDS);
  } finally {
    await client.close();
    child.kill('SIGKILL');
  }
}

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
