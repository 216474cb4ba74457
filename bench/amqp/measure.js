// The measurement every client runs: warm-up, then concurrency 1 (latency percentiles) and
// concurrency 64 and 256 (throughput), each for BENCH_SECONDS. Prints one JSON line.
'use strict';
const { performance } = require('node:perf_hooks');

const SECONDS = Number(process.env.BENCH_SECONDS || 3);
// Warm-up length (s). The default 1 s leaves Nanite's longer per-request path partly unoptimized at
// concurrency 1 (V8 tiers a function up after a number of its own calls, ~1-2k requests at c=1); see
// BENCHMARKS.md, "Concurrency 1 and V8 warm-up".
const WARMUP = Number(process.env.BENCH_WARMUP || Math.min(1, SECONDS));

/**
 * The request every system sends and its responder echoes back: `{a:1,b:2,s:"xxx…"}` padded so
 * that its JSON is exactly BENCH_PAYLOAD bytes (default 100; at least the 19 bytes of the empty
 * padding).
 */
function payload(size = Number(process.env.BENCH_PAYLOAD || 100)) {
  const bare = JSON.stringify({ a: 1, b: 2, s: '' }).length;
  return { a: 1, b: 2, s: 'x'.repeat(Math.max(0, size - bare)) };
}

async function phase(call, concurrency, seconds, latencies) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await call();
        done++;
      } catch {
        failed++;
      }
      if (latencies) latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { rps: done / ((performance.now() - t0) / 1000), done, failed };
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU time (user + system, µs) of process `pid` so far, from /proc (clock-tick resolution). */
function procCpuUs(pid) {
  const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Runs the phases with `call` (one request) and prints the JSON result line. */
async function measure(name, call) {
  const only = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
  // BENCH_PREWARM=N (with BENCH_CONCURRENCY): first a warm-up at concurrency N, as the full run's
  // phase at 64 comes before its concurrency-1 phases; then the warm-up at the measured concurrency.
  const prewarm = only !== undefined && process.env.BENCH_PREWARM ? Number(process.env.BENCH_PREWARM) : undefined;
  if (prewarm !== undefined) await phase(call, prewarm, WARMUP, null);
  await phase(call, only ?? 64, WARMUP, null); // warm-up (JIT, connections, queues)
  // Then as long again at concurrency 1, the first phase measured: switching from 64 to 1 costs the
  // caller a wave of deopts and re-optimizations (BENCHMARKS.md, "Concurrency 1 and V8 warm-up"), and
  // a daemon serving one request at a time has long left that behind. Every system gets the same.
  if (only === undefined) await phase(call, 1, WARMUP, null);
  if (only !== undefined) {
    // BENCH_CONCURRENCY: one phase only, after a warm-up at the same concurrency (to profile one load
    // level with `node --cpu-prof` on both processes). With BENCH_SERVER_PID (Linux), also the CPU
    // time per request of this process and of the responder: a measure the machine's load barely moves.
    const server = process.env.BENCH_SERVER_PID;
    const cpu0 = process.cpuUsage();
    const srv0 = server ? procCpuUs(server) : 0;
    const lat = [];
    const r = await phase(call, only, SECONDS, lat);
    const cpu = process.cpuUsage(cpu0);
    lat.sort((x, y) => x - y);
    const out = { name, concurrency: only, rps: Math.round(r.rps), failed: r.failed, callerCpuUsPerReq: +((cpu.user + cpu.system) / r.done).toFixed(1), callerSysUsPerReq: +(cpu.system / r.done).toFixed(1), p50us: Math.round(pct(lat, 50) * 1000) };
    if (server) out.responderCpuUsPerReq = +((procCpuUs(server) - srv0) / r.done).toFixed(1);
    process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
    return r;
  }
  const lat = [];
  const c1 = await phase(call, 1, SECONDS, lat);
  lat.sort((a, b) => a - b);
  const c64 = await phase(call, 64, SECONDS, null);
  const c256 = await phase(call, 256, SECONDS, null);
  const out = {
    name,
    c1: Math.round(c1.rps),
    c64: Math.round(c64.rps),
    c256: Math.round(c256.rps),
    p50us: Math.round(pct(lat, 50) * 1000),
    p99us: Math.round(pct(lat, 99) * 1000),
    failed: c1.failed + c64.failed + c256.failed,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  return out;
}

module.exports = { measure, payload };
