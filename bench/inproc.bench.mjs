#!/usr/bin/env node
// In-process request/response, side by side in ONE run: a plain async call, Nanite's
// mapper.request() over memory:// (agent and mapper in this process: the in-process fast path, see
// packages/core/src/transport/memory/local-calls.ts), the same over memory://?local=off (every
// packet through the bus, on microtasks), and Moleculer's local broker.call() (service in the same
// broker, no transporter). Requests per CPU-second of the
// process (the machine is shared: wall-clock rates swing with other work), per concurrency.
//   node bench/inproc.bench.mjs [--seconds=2] [--rounds=3] [--concurrency=1,4,16,64] [--write] [--base=<checkout>] [--only=nanite,moleculer]
// Installs Moleculer (bench/inproc/package.json, not a workspace) on first use. --write replaces
// the "## In-process: Nanite vs Moleculer" section of BENCHMARKS.md and writes
// bench/charts/inproc-throughput.svg. --base=<dir>: also runs the Nanite request of another checkout
// (built: <dir>/packages/core/dist) in the same rounds, as "Nanite base" (before/after in one run).
// --only: the systems to run (keys: plain, nanite, nanite-bus, moleculer, base).
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { lineChart, replaceSection } from './lib/svg-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
if (!existsSync(join(here, 'inproc', 'node_modules', 'moleculer'))) execSync('npm install --no-audit --no-fund --no-workspaces --prefix bench/inproc', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(join(root, 'packages', 'core', 'dist', 'index.js'))) execSync('npx turbo run build --filter=@nanite/core --output-logs=errors-only', { cwd: root, stdio: 'inherit' });
const require = createRequire(import.meta.url);
const { Agent, Mapper, defineActor } = require('@nanite/core');
// The ?local=off system runs on a second instance of @nanite/core (its modules loaded again): one
// instance exercised through two transports gets the JIT's type feedback of both (polymorphic call
// sites, other inlining), which slowed the fast-path system by up to 30 % when they shared it
// (measured: an identical copy of the code loaded separately ran 1.3x the shared one). An
// application runs one transport; so does each system here.
const coreDir = dirname(require.resolve('@nanite/core'));
for (const key of Object.keys(require.cache)) if (key.startsWith(coreDir)) delete require.cache[key];
const bus = require('@nanite/core');
for (const key of Object.keys(require.cache)) if (key.startsWith(coreDir)) delete require.cache[key];
const { ServiceBroker } = createRequire(join(here, 'inproc', 'package.json'))('moleculer');
const molVersion = JSON.parse(readFileSync(join(here, 'inproc', 'node_modules', 'moleculer', 'package.json'), 'utf8')).version;

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const seconds = Number(args.seconds ?? 2);
const rounds = Number(args.rounds ?? 3);
const levels = (args.concurrency ?? '1,4,16,64').split(',').map(Number);
const load0 = loadavg()[0].toFixed(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function measure(concurrency, op) {
  const warmEnd = Date.now() + 200;
  while (Date.now() < warmEnd) await op();
  let count = 0;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < 100; i++) await op();
      count += 100;
    }
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  // Requests per CPU-second of this process: on a machine shared with other work, wall-clock rates
  // swing 10x with the neighbours' load while CPU time per request stays put.
  const cpu = process.cpuUsage(cpu0);
  return count / ((cpu.user + cpu.system) / 1e6);
}

const add = async (p) => p.a + p.b;
const agent = new Agent({ transport: 'memory://inproc-bench', identity: 'bench-agent', actors: [defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 1024 });
const mapper = new Mapper({ transport: 'memory://inproc-bench', logger: quiet });
let baseAgent;
let baseMapper;
if (args.base) {
  const base = createRequire(join(args.base, 'packages', 'core', 'package.json'))(join(args.base, 'packages', 'core'));
  baseAgent = new base.Agent({ transport: 'memory://inproc-bench-base', identity: 'bench-agent', actors: [base.defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 1024 });
  baseMapper = new base.Mapper({ transport: 'memory://inproc-bench-base', logger: quiet });
  await baseAgent.start();
  await baseMapper.start();
  await baseMapper.waitForAgents({ route: '/calc/add' });
}
const busAgent = new bus.Agent({ transport: 'memory://inproc-bench-bus?local=off', identity: 'bench-agent', actors: [bus.defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 1024 });
const busMapper = new bus.Mapper({ transport: 'memory://inproc-bench-bus?local=off', logger: quiet });
for (const x of [agent, mapper, busAgent, busMapper]) await x.start();
await mapper.waitForAgents({ route: '/calc/add' });
await busMapper.waitForAgents({ route: '/calc/add' });
const broker = new ServiceBroker({ nodeID: 'inproc-bench', logger: false, metrics: false, tracing: false });
broker.createService({ name: 'calc', actions: { add: (ctx) => ctx.params.a + ctx.params.b } });
await broker.start();
const payload = { a: 1, b: 2 };
const only = args.only ? new Set(['moleculer', ...args.only.split(',')]) : undefined;
const systems = [
  { key: 'plain', name: 'plain async function call', op: () => add(payload) },
  ...(baseMapper ? [{ key: 'base', name: `Nanite base (${args.base}) mapper.request() over memory://`, op: () => baseMapper.request('/calc/add', payload) }] : []),
  { key: 'nanite', name: 'Nanite mapper.request() over memory://', op: () => mapper.request('/calc/add', payload) },
  { key: 'nanite-bus', name: 'Nanite memory://?local=off (no fast path: every packet on the bus)', op: () => busMapper.request('/calc/add', payload) },
  { key: 'moleculer', name: `Moleculer ${molVersion} broker.call(), local service`, op: () => broker.call('calc.add', payload) },
].filter((s) => only === undefined || only.has(s.key));
const results = new Map(); // key|c -> [rps per round]
for (let r = 0; r < rounds; r++) {
  for (const c of levels) {
    for (const s of systems) {
      const rps = await measure(c, s.op);
      const k = `${s.key}|${c}`;
      results.set(k, [...(results.get(k) ?? []), rps]);
    }
  }
}
for (const x of [mapper, agent, busMapper, busAgent, baseMapper, baseAgent]) await x?.close();
await broker.stop();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rps = (key, c) => median(results.get(`${key}|${c}`));
const n = (v) => Math.round(v).toLocaleString('en-US');
const load = `${load0} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`;
const lines = [
  '## In-process: Nanite vs Moleculer',
  '',
  `Run: \`node bench/inproc.bench.mjs --seconds=${seconds} --rounds=${rounds} --concurrency=${levels.join(',')} --write\`, ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, load average ${load} (2 cores shared with other work). Each cell is the median of ${rounds} interleaved rounds of ${seconds} s after a 200 ms warm-up; C callers await requests in a loop; the rate is requests per CPU-second of the bench process (user + system, GC threads included), which stays put while wall-clock rates swing with the shared machine's load; payload \`{a:1,b:2}\` → sum. Moleculer with metrics, tracing and logger off.`,
  '',
  `| system | ${levels.map((c) => `req per CPU-s @${c}`).join(' | ')} | ${levels.map((c) => `vs Moleculer @${c}`).join(' | ')} |`,
  `|---|${levels.map(() => '---:').join('|')}|${levels.map(() => '---:').join('|')}|`,
  ...systems.map((s) => `| ${s.name} | ${levels.map((c) => n(rps(s.key, c))).join(' | ')} | ${levels.map((c) => `${(rps(s.key, c) / rps('moleculer', c)).toFixed(2)}×`).join(' | ')} |`),
  '',
  '![throughput vs concurrency, in-process](bench/charts/inproc-throughput.svg)',
  '',
];
console.log(lines.join('\n'));
if (args.write) {
  mkdirSync(join(here, 'charts'), { recursive: true });
  const series = systems.filter((s) => s.key !== 'plain').map((s) => ({ name: s.name.replace(/ \(.*\)$/, '').slice(0, 30), points: levels.map((c) => [c, rps(s.key, c)]) }));
  writeFileSync(join(here, 'charts', 'inproc-throughput.svg'), lineChart({ title: 'In-process throughput vs concurrency', xLabel: 'concurrent callers (log scale)', yLabel: 'requests per CPU-second', series, logX: true }));
  const file = join(root, 'BENCHMARKS.md');
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), '## In-process: Nanite vs Moleculer', lines.join('\n')));
}
process.exit(0);
