// Shared by run.mjs and cpu.mjs: one responder + caller pair run to completion, and the removal of
// what the Nanite systems leave on the broker.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * `BENCH_PIN=S,C` (e.g. `1,0`): the responder runs on CPU S and the caller on CPU C (taskset), the
 * same for every system, so a round does not depend on where the scheduler happened to put them.
 */
const pin = process.env.BENCH_PIN?.split(',');

function start(dir, file, argv, env, role) {
  const child = spawn(process.execPath, [join(dir, file), ...argv], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const cpu = pin?.[role === 'server' ? 0 : 1];
  // -a: every thread of the process (V8's and libuv's too), not only the main one.
  if (cpu !== undefined && cpu !== '') execFileSync('taskset', ['-a', '-p', '-c', cpu, String(child.pid)], { stdio: 'ignore' });
  return child;
}

/**
 * Starts `server` ([file, ...argv] in `dir`), waits for its "ready", runs `client` to its exit, stops
 * the server and returns the caller's `RESULT {...}` line, parsed. `label` names the pair in errors.
 */
export async function runPair({ label, server, client, env, clientEnv = {}, dir = here, serverPidEnv = false }) {
  const srv = start(dir, server[0], server.slice(1), env, 'server');
  await new Promise((resolve, reject) => {
    srv.stdout.on('data', (d) => d.toString().includes('ready') && resolve());
    srv.once('exit', (code) => reject(new Error(`${label}: server exited (${code})`)));
  });
  const cli = start(dir, client[0], client.slice(1), { ...env, ...clientEnv, ...(serverPidEnv ? { BENCH_SERVER_PID: String(srv.pid) } : {}) }, 'client');
  let out = '';
  cli.stdout.on('data', (d) => (out += d.toString()));
  const code = await new Promise((resolve) => cli.once('exit', resolve));
  srv.kill('SIGTERM');
  await new Promise((resolve) => (srv.exitCode !== null ? resolve() : srv.once('exit', resolve)));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${label}: no result (exit ${code})\n${out}`);
  return JSON.parse(line.slice(7));
}

/**
 * The order of round `round` (0-based) of `list`: the rows of a Williams square, so that over `n`
 * rounds (2n when n is odd) every system runs first once and runs right after each other system
 * once. The pair that follows another one measures what that one left behind: the one right after
 * raw amqplib's pair ran slower (BENCHMARKS runs 10 and 19), and a plain rotation of a fixed list
 * keeps every neighbour (run.mjs put Nanite right after raw amqplib in nearly every pair).
 */
export function balanced(list, round) {
  const n = list.length;
  if (n < 2) return [...list];
  // First row 0, 1, n-1, 2, n-2, ...; row r adds r (mod n); for an odd n, rows n..2n-1 are reversed.
  const first = [0];
  for (let lo = 1, hi = n - 1; first.length < n; ) first.push(first.length % 2 ? lo++ : hi--);
  const r = round % (n % 2 ? 2 * n : n);
  const row = first.map((i) => list[(i + r) % n]);
  return r >= n ? row.reverse() : row;
}

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Round by round, `rs` against `base` (the same rounds of another pair): in how many rounds `rs`
 * was ahead on `key` (at or above it, or at or below it when `lower` is better) and the median of
 * the per-round ratios `rs / base`.
 */
export function versus(rs, base, key, lower = false) {
  const ahead = rs.filter((r, i) => (lower ? r[key] <= base[i][key] : r[key] >= base[i][key])).length;
  return { ahead, rounds: rs.length, ratio: median(rs.map((r, i) => r[key] / base[i][key])) };
}

/** Removes a Nanite bench prefix (exchanges, gossip exchanges, the park queue of /bench/echo) with core's own clean-up. */
export async function removeNaniteBench(url, prefix) {
  const { removeAmqpTopology } = createRequire(join(here, 'package.json'))('@nanite/core');
  await removeAmqpTopology(url, prefix, { routes: ['/bench/echo'] });
}
