#!/usr/bin/env node
// CPU time per request of the caller and the responder, raw amqplib vs Nanite, interleaved rounds.
//   node bench/amqp/cpu.mjs [--only=raw,nanite,secure,moleculer-tuned,raw-props,raw-props:xm] [--payload=100] [--concurrency=1,64] [--seconds=3] [--rounds=4] [--warmup=1] [--prewarm=64] [--base=DIR]
// `--base=DIR`: also system `base`, Nanite from another checkout (DIR/bench/amqp, with its own built
// @nanite/core), to compare before/after in the same run (and `base-secure` when `secure` is asked
// for). `secure`: Nanite in secure mode, with a throw-away CA and certificates made by `nanite certs`.
// Each round starts every system's responder and caller afresh (as run.mjs does) in the
// BENCH_CONCURRENCY single-phase mode of measure.js, which reads both processes' CPU time: a
// measure that the load of a shared machine barely moves, unlike requests/s. Prints, per payload
// and concurrency, the median caller / responder µs per request, req/s and p50 of every system.
// Each system runs first, and right after each other one, equally often (pair.mjs `balanced`: give
// --rounds a multiple of the number of systems, twice it when that is odd).
// `--prewarm=N`: a warm-up phase at concurrency N before the one at the measured concurrency (as in
// run.mjs, whose concurrency-1 phases come after its warm-up at 64).
// `BENCH_PIN=S,C`: responder on CPU S, caller on CPU C (pair.mjs).
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { balanced, median, removeNaniteBench, runPair } from './pair.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const seconds = Number(args.seconds ?? 3);
const rounds = Number(args.rounds ?? 4);
const warmup = args.warmup; // s at the measured concurrency before the measured phase (measure.js's default: 1)
const prewarm = args.prewarm; // concurrency of a warm-up phase before that one (none by default)
const payloads = String(args.payload ?? '100').split(',').map(Number);
const levels = String(args.concurrency ?? '1,64').split(',').map(Number);
const only = String(args.only ?? 'raw,nanite').split(',');
const url = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `${process.pid}-${Date.now().toString(36)}`;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pki = join(tmpdir(), `nanite-benchcpu-pki-${run}`);
if (only.includes('secure')) {
  const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
  execSync(`${cli} certs init --dir ${pki} && ${cli} certs issue bench-agent --dir ${pki} && ${cli} certs issue bench-mapper --dir ${pki} --role mapper`, { stdio: 'ignore' });
}
const naniteUrl = (extra = '') => `${url}${url.includes('?') ? '&' : '?'}prefix=benchcpu-${run}${extra}`;

const systems = [
  { id: 'raw', server: ['raw.server.js', url, `benchcpu-raw-${run}`], client: ['raw.client.js', url, `benchcpu-raw-${run}`] },
  { id: 'raw-props', server: ['raw.server.js', url, `benchcpu-rawp-${run}`], client: ['raw.client.js', url, `benchcpu-rawp-${run}`, 'props'] },
  // raw-props:<letters>: raw amqplib with some of Nanite's publish properties (raw.client.js).
  ...only.filter((o) => o.startsWith('raw-props:')).map((id, i) => ({ id, server: ['raw.server.js', url, `benchcpu-rawp${i}-${run}`], client: ['raw.client.js', url, `benchcpu-rawp${i}-${run}`, id.slice(4)] })),
  { id: 'nanite', server: ['nanite.server.js', naniteUrl()], client: ['nanite.client.js', naniteUrl(), 'nanite'] },
  { id: 'nanite-amo', server: ['nanite.server.js', naniteUrl('&delivery=at-most-once')], client: ['nanite.client.js', naniteUrl(), 'nanite-amo'] },
  { id: 'secure', server: ['nanite.server.js', naniteUrl(), pki], client: ['nanite.client.js', naniteUrl(), 'secure', pki] },
  { id: 'moleculer-tuned', server: ['moleculer/moleculer.server.js', url, `benchcpu-molt-${run}`, '1'], client: ['moleculer/moleculer.client.js', url, `benchcpu-molt-${run}`, '1', 'moleculer-tuned'] },
  ...(args.base ? [{ id: 'base', dir: join(args.base, 'bench', 'amqp'), server: ['nanite.server.js', naniteUrl()], client: ['nanite.client.js', naniteUrl(), 'base'] }] : []),
  ...(args.base && only.includes('secure') ? [{ id: 'base-secure', dir: join(args.base, 'bench', 'amqp'), server: ['nanite.server.js', naniteUrl(), pki], client: ['nanite.client.js', naniteUrl(), 'base-secure', pki] }] : []),
].filter((s) => only.includes(s.id) || s.id === 'base' || s.id === 'base-secure');

function once(s, size, concurrency) {
  return runPair({
    label: s.id,
    server: s.server,
    client: s.client,
    dir: s.dir,
    env: { NANITE_LOG_LEVEL: 'error', BENCH_PAYLOAD: String(size) },
    clientEnv: { BENCH_SECONDS: String(seconds), BENCH_CONCURRENCY: String(concurrency), ...(warmup ? { BENCH_WARMUP: warmup } : {}), ...(prewarm ? { BENCH_PREWARM: prewarm } : {}) },
    serverPidEnv: true,
  });
}

const samples = new Map();
for (let round = 1; round <= rounds; round++) {
  for (const size of payloads) {
    for (const c of levels) {
      for (const s of balanced(systems, round - 1)) {
        const r = await once(s, size, c);
        process.stderr.write(`round ${round} ${size} B c=${c} ${s.id}: ${JSON.stringify(r)}\n`);
        const k = `${size}|${c}|${s.id}`;
        if (!samples.has(k)) samples.set(k, []);
        samples.get(k).push(r);
      }
    }
  }
}
// What the Nanite systems leave behind (durable exchanges, the park queue); raw's queues auto-delete.
await removeNaniteBench(url, `benchcpu-${run}`);
rmSync(pki, { recursive: true, force: true });
const lines = ['| payload | concurrency | system | caller µs/req | responder µs/req | req/s | p50 (µs) |', '|---|---|---|---|---|---|---|'];
for (const size of payloads) {
  for (const c of levels) {
    for (const s of systems) {
      const rs = samples.get(`${size}|${c}|${s.id}`);
      const m = (f) => median(rs.map(f));
      lines.push(`| ${size} | ${c} | ${s.id} | ${m((r) => r.callerCpuUsPerReq).toFixed(1)} | ${m((r) => r.responderCpuUsPerReq).toFixed(1)} | ${Math.round(m((r) => r.rps))} | ${Math.round(m((r) => r.p50us))} |`);
    }
  }
}
process.stdout.write(`\n${lines.join('\n')}\n\nload average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end, medians of ${rounds} interleaved rounds of ${seconds} s after ${prewarm ? `${warmup ?? 1} s at ${prewarm} then ` : ''}${warmup ?? 1} s of warm-up\n`);
