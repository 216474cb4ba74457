// A control for heartbeat lag: a bare amqplib consumer on the same heartbeat fanout as the mapper
// (its own exclusive queue, no-ack, no Nanite code), noting how late each Ping stamped with `t`
// arrives. When it sees the same tail as the mapper, the delay is upstream (publishers or broker),
// not in the mapper. Reports on "stop" (stdin) or SIGTERM. Usage: node transit-probe.cjs <url> <prefix>
'use strict';
const amqp = require('amqplib');
const { amqpNames } = require('@nanite/core');

const [url, prefix] = process.argv.slice(2);
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);

async function main() {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  const exchange = amqpNames(prefix).heartbeat;
  await ch.assertExchange(exchange, 'fanout', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, exchange, '');
  const lags = [];
  let on = false;
  await ch.consume(queue, (m) => {
    if (!m || !on) return;
    // Only the stamp is read (a regex, not a full parse): this consumer must stay cheap.
    const hit = /"t":(\d+)/.exec(m.content.toString('latin1'));
    if (hit) lags.push(Date.now() - Number(hit[1]));
  }, { noAck: true });
  process.stdout.write('ready\n');
  let done = false;
  const finish = async () => {
    if (done) return;
    done = true;
    on = false;
    lags.sort((a, b) => a - b);
    process.stdout.write(`RESULT ${JSON.stringify({ n: lags.length, p50: pct(lags, 0.5), p99: pct(lags, 0.99), max: lags.length ? lags[lags.length - 1] : NaN })}\n`);
    await ch.close();
    await conn.close();
    process.exit(0);
  };
  process.stdin.on('data', (d) => {
    const s = d.toString();
    if (s.includes('measure')) on = true;
    if (s.includes('stop')) void finish();
  });
  process.on('SIGTERM', () => void finish());
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
