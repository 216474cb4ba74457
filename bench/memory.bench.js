#!/usr/bin/env node
// In-process request benchmark: mapper.request() over memory:// beside a plain async function
// call, measured in the same run. Usage: npm run bench:memory [-- --seconds 3]
'use strict';
const { Agent, Mapper, defineActor } = require('@nanite/core');

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function measure(name, concurrency, op) {
  // Warm up so the JIT has compiled the hot path before we time it.
  const warmEnd = Date.now() + 300;
  while (Date.now() < warmEnd) await op();
  let count = 0;
  const end = process.hrtime.bigint() + BigInt(seconds * 1e9);
  const worker = async () => {
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < 100; i++) await op();
      count += 100;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { name, concurrency, rps: count / elapsed };
}

async function main() {
  const add = async (p) => p.a + p.b;
  const agent = new Agent({ transport: 'memory://bench', identity: 'bench-agent', actors: [defineActor('calc', { add: (p) => p.a + p.b })], logger: quiet, concurrency: 1024 });
  const mapper = new Mapper({ transport: 'memory://bench', logger: quiet });
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/calc/add' });
  const payload = { a: 1, b: 2 };
  const rows = [];
  for (const c of [1, 64]) {
    rows.push(await measure('plain async function call', c, () => add(payload)));
    rows.push(await measure('mapper.request() over memory://', c, () => mapper.request('/calc/add', payload)));
    rows.push(await measure('mapper.request() over memory:// (no timeout)', c, () => mapper.request('/calc/add', payload, { timeout: 0 })));
  }
  await mapper.close();
  await agent.stop();
  console.log(`node ${process.version}, ${seconds}s per row\n`);
  console.log('| what | concurrency | requests/s | vs plain call |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) {
    const base = rows.find((x) => x.concurrency === r.concurrency && x.name.startsWith('plain'));
    console.log(`| ${r.name} | ${r.concurrency} | ${Math.round(r.rps).toLocaleString('en-US')} | ${(r.rps / base.rps).toFixed(3)}x |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
