// Raw amqplib RPC responder: prefetch 256, ack after the reply, no-delay; parses the request and echoes it.
'use strict';
// amqplib as @nanite/core resolves it: the baseline runs on the same version as Nanite.
const amqp = require(require.resolve('amqplib', { paths: [require('node:path').join(__dirname, '..', '..', 'packages', 'core')] }));
const [url, queue] = process.argv.slice(2);
(async () => {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  await ch.prefetch(256);
  await ch.consume(queue, (m) => {
    const req = JSON.parse(m.content.toString());
    ch.publish('', m.properties.replyTo, Buffer.from(JSON.stringify(req)), { correlationId: m.properties.correlationId });
    ch.ack(m);
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => conn.close().then(() => process.exit(0)));
})();
