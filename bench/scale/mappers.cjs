// Hosts `n` mappers (each with its own AMQP connection, as separate processes would have) on one
// prefix and reports how many heartbeats they handled. Usage: node mappers.cjs <url> <prefix> <n>
'use strict';
const { Mapper } = require('@nanite/core');

const [url, prefix, nArg] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sep = url.includes('?') ? '&' : '?';

async function main() {
  const mappers = [];
  for (let i = 0; i < Number(nArg); i++) {
    const m = new Mapper({ transport: `${url}${sep}prefix=${prefix}`, logger: quiet });
    await m.start();
    mappers.push(m);
  }
  process.stdout.write('ready\n');
  // Most agents each mapper knew at once (the simulated agents unregister before we are stopped).
  const seen = mappers.map(() => 0);
  const sampler = setInterval(() => mappers.forEach((m, i) => (seen[i] = Math.max(seen[i], m.stats.agents))), 200);
  process.on('SIGTERM', async () => {
    clearInterval(sampler);
    const agents = seen;
    for (const m of mappers) await m.close();
    process.stdout.write(`RESULT ${JSON.stringify({ seen: agents })}\n`);
    process.exit(0);
  });
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
