#!/usr/bin/env node
// Secure byte streams (issue #11/#16): MiB/s of one large result stream of random bytes
// (mapper.stream(), 256 KiB chunks, credit-based flow control), agent + mapper in this process,
// both in secure mode, this checkout's @nanite/core against a baseline build, rounds interleaved.
//
//   node bench/secure/byte-stream.bench.mjs --baseline=<dir of another build's dist> [--transport=memory|amqp]
//        [--plain] [--mib=256] [--chunk-kib=256] [--window=16] [--rounds=3]
//
// --plain adds this checkout without secure mode (the reference for secure ÷ plain); ratios are
// against the first build listed (the baseline, else plain, else this checkout).
//
// The baseline is a built packages/core/dist of another checkout (e.g. before binary chunk sealing:
// `git stash; npx tsc -p packages/core/tsconfig.build.json; cp -r packages/core/dist packages/core/.baseline/dist`).
// Keep it under packages/core so it resolves the same node_modules. Certificates come from `nanite certs`
// (packages/cli must be built). amqp:// needs RabbitMQ at NANITE_AMQP_URL; what is declared is removed.
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const MIB = Number(args.mib ?? 256);
const CHUNK = Number(args['chunk-kib'] ?? 256) * 1024;
const WINDOW = Number(args.window ?? 16);
const ROUNDS = Number(args.rounds ?? 3);
const TRANSPORT = args.transport ?? 'memory';
const URL_ = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const COUNT = Math.ceil((MIB * 1024 * 1024) / CHUNK);
const block = randomBytes(CHUNK);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const require = createRequire(import.meta.url);
const here_ = require(join(root, 'packages', 'core', 'dist', 'index.js'));
const builds = [{ name: 'this checkout', core: here_ }];
if (args.plain) builds.unshift({ name: 'this checkout, plain (no secure mode)', core: here_, plain: true });
if (args.baseline) builds.unshift({ name: `baseline (${args.baseline})`, core: require(join(resolve(args.baseline), 'index.js')) });

const run = `${process.pid}-${Date.now().toString(36)}`;
const pki = join(tmpdir(), `nanite-bytes-pki-${run}`);
const cli = `node ${join(root, 'packages', 'cli', 'dist', 'bin.js')}`;
execSync(`${cli} certs init --dir ${pki} && ${cli} certs issue bench-agent --dir ${pki} && ${cli} certs issue bench-mapper --dir ${pki} --role mapper`, { stdio: 'ignore' });
const security = (name) => ({ cert: join(pki, `${name}.crt`), key: join(pki, `${name}.key`), ca: join(pki, 'ca.crt') });

/** Bytes of a chunk as it arrived: a Buffer, or (a build that JSON-encodes sealed chunks) {type:'Buffer',data:[…]}. */
const size = (c) => (Buffer.isBuffer(c) ? c.length : Array.isArray(c?.data) ? c.data.length : 0);

async function once({ core, plain }) {
  const { Agent, Mapper, defineActor, MemoryTransport, MemoryBusRegistry, removeAmqpTopology } = core;
  const prefix = `bench-sbytes-${run}-${Math.random().toString(36).slice(2, 8)}`;
  const registry = TRANSPORT === 'memory' ? new MemoryBusRegistry() : undefined;
  const transport = () => (registry ? new MemoryTransport({ name: prefix, registry }) : `${URL_}${URL_.includes('?') ? '&' : '?'}prefix=${prefix}`);
  const actor = defineActor('bytes', {
    async *gen() {
      for (let i = 0; i < COUNT; i++) yield block;
    },
  });
  const sec = (name) => (plain ? {} : { security: security(name) });
  const agent = new Agent({ transport: transport(), identity: 'bench-agent', ...sec('bench-agent'), actors: [actor], logger: quiet, pingInterval: 500 });
  // The JSON-encoding baseline blocks the event loop for long stretches: judge agents by silence alone, leniently.
  const mapper = new Mapper({ transport: transport(), ...sec('bench-mapper'), logger: quiet, agentTimeout: 600_000, roster: false });
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/bytes/gen', timeout: 10_000 });
  const started = performance.now();
  let bytes = 0;
  for await (const chunk of mapper.stream('/bytes/gen', undefined, { window: WINDOW, timeout: 600_000 })) bytes += size(chunk);
  const seconds = (performance.now() - started) / 1000;
  await mapper.close();
  await agent.stop();
  if (!registry) await removeAmqpTopology(URL_, prefix);
  if (bytes !== COUNT * CHUNK) throw new Error(`moved ${bytes} bytes, expected ${COUNT * CHUNK}`);
  return bytes / 1024 / 1024 / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = builds.map(() => []);
const load = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    load.push(loadavg()[0]);
    for (let b = 0; b < builds.length; b++) results[b].push(await once(builds[b]));
    console.error(`round ${r + 1}: ${builds.map((b, i) => `${b.name} ${results[i][r].toFixed(1)} MiB/s`).join(', ')}`);
  }
} finally {
  rmSync(pki, { recursive: true, force: true });
}
const base = results[0];
for (let b = 0; b < builds.length; b++) {
  const ratios = results[b].map((x, i) => x / base[i]);
  console.log(`| ${TRANSPORT}://, ${MIB} MiB, ${CHUNK / 1024} KiB chunks, window ${WINDOW}, ${ROUNDS} rounds | ${builds[b].name} | ${median(results[b]).toFixed(1)} MiB/s | ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) | ${median(load).toFixed(1)} |`);
}
