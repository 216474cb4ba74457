// Simulates agents heartbeating on the broker without hosting them: one AMQP connection publishes a
// Register for each identity, then one Ping per identity per second, spread evenly over the second.
// Each Ping carries an extra field `t` (send time, epoch ms) that the bench's mapper reads to measure
// heartbeat processing lag. Usage: node heartbeat-sim.cjs <url> <prefix> <first> <count> [pingIntervalMs]
'use strict';
const amqp = require('amqplib');
const { JsonSerializer, amqpNames } = require('@nanite/core');

const [url, prefix, firstArg, countArg, intervalArg] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const interval = Number(intervalArg ?? 1000);
const ser = new JsonSerializer();
const exchange = amqpNames(prefix).heartbeat;
const props = { contentType: ser.contentType };
const id = (i) => `sim-${first + i}`;
const routes = [{ route: '/sim/work', idempotent: true }];

async function main() {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  await ch.assertExchange(exchange, 'fanout', { durable: true });
  let published = 0;
  const publish = async (packet) => {
    published++;
    if (!ch.publish(exchange, '', ser.encode(packet), props)) await new Promise((r) => ch.once('drain', r));
  };
  for (let i = 0; i < count; i++) await publish({ v: 1, type: 'register', identity: id(i), routes, tags: [], status: 0, concurrency: 4, pingInterval: interval });
  process.stdout.write('registered\n');
  const start = Date.now();
  let sent = 0; // pings sent so far; identity of ping k is k % count
  let stop = false;
  process.on('SIGTERM', () => (stop = true));
  while (!stop) {
    const due = Math.floor(((Date.now() - start) / interval) * count);
    for (; sent < due; sent++) await publish({ v: 1, type: 'ping', identity: id(sent % count), status: (sent % 10) / 10, inFlight: 0, t: Date.now() });
    await new Promise((r) => setTimeout(r, 5));
  }
  // Clean goodbye so the mapper does not have to reap them.
  for (let i = 0; i < count; i++) await publish({ v: 1, type: 'unregister', identity: id(i) });
  await ch.close();
  await conn.close();
  process.stdout.write(`RESULT ${JSON.stringify({ published, pings: sent })}\n`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
