// One round of the suspicion-burst benchmark (bench/suspicion-burst.bench.mjs), in its own process:
// N agents (bare memory:// links that answer an Advertise with a Register, as real agents do) on one
// route ping every second for 6 s; then half of them ping 650 ms late once (a 1.65 s gap: suspect,
// not down) and on time again. Prints what the burst cost the process over the 4 s around it.
// Usage: node suspicion-burst.cjs <dir of a built @nanite/core> <agents>
'use strict';
const { monitorEventLoopDelay } = require('node:perf_hooks');

const [coreDir, agentsArg] = process.argv.slice(2);
const { Mapper, MemoryTransport, MemoryBusRegistry } = require(coreDir);
const N = Number(agentsArg);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const registry = new MemoryBusRegistry();
  const bus = () => new MemoryTransport({ name: 'burst', registry });
  const mapper = new Mapper({ transport: bus(), logger: quiet, discoveryWindow: 0, maxAgents: N + 10 });
  await mapper.start();
  const at = bus();
  await at.connect();
  const routes = [{ route: '/w/x', idempotent: true }];
  const register = (i) => ({ v: 1, type: 'register', identity: `a${i}`, routes, tags: [], status: 0, concurrency: 1, pingInterval: 1000 });
  const ping = (i) => ({ v: 1, type: 'ping', identity: `a${i}`, status: 0, inFlight: 0 });
  let advertises = 0;
  const links = [];
  for (let i = 0; i < N; i++) {
    links.push(await at.openAgent(`a${i}`, {
      onPacket: (p) => {
        if (p?.type !== 'advertise') return;
        advertises++;
        links[i].broadcast(register(i));
      },
      onMalformed() {},
    }, { prefetch: 1 }));
  }
  links.forEach((l, i) => l.broadcast(register(i)));
  let late = false;
  const tick = setInterval(() => links.forEach((l, i) => (late && i % 2 === 0 ? undefined : l.broadcast(ping(i)))), 1000);
  await sleep(6000);
  let suspects = 0;
  mapper.on('agent:suspect', () => suspects++);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  advertises = 0;
  late = true;
  await sleep(1000);
  late = false;
  setTimeout(() => links.forEach((l, i) => (i % 2 === 0 ? l.broadcast(ping(i)) : undefined)), 650);
  await sleep(3000);
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const result = { suspects, up: mapper.roster().filter((a) => a.state === 'up').length, cpuMs: (cpu.user + cpu.system) / 1000, maxDelayMs: delay.max / 1e6, advertises };
  clearInterval(tick);
  await mapper.close();
  for (const l of links) await l.close();
  await at.close();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
