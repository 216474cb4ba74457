#!/usr/bin/env node
// Nanite's in-process request alone, for `node --cpu-prof` (the profile section of BENCHMARKS.md):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/inproc.profile.mjs [--concurrency=1] [--seconds=4] [--url=memory://prof]
//   node bench/lib/cpuprofile-top.mjs /tmp/prof/*.cpuprofile [25]     # self time by function
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Agent, Mapper, defineActor } = require('@nanite/core');
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const concurrency = Number(args.concurrency ?? 1);
const seconds = Number(args.seconds ?? 4);
const url = args.url ?? 'memory://prof';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const agent = new Agent({ transport: url, identity: 'prof-agent', actors: [defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 1024 });
const mapper = new Mapper({ transport: url, logger: quiet });
await agent.start();
await mapper.start();
await mapper.waitForAgents({ route: '/calc/add' });
const payload = { a: 1, b: 2 };
let count = 0;
const end = Date.now() + seconds * 1000;
const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (Date.now() < end) {
    for (let i = 0; i < 100; i++) await mapper.request('/calc/add', payload);
    count += 100;
  }
}));
const cpu = process.cpuUsage(cpu0);
console.log(`${url} concurrency ${concurrency}: ${Math.round(count / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en-US')} requests per CPU-second`);
await mapper.close();
await agent.close();
