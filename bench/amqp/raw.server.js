// Raw amqplib RPC responder: prefetch 256, ack after the reply, no-delay.
'use strict';
const amqp = require('amqplib');
const [url, queue] = process.argv.slice(2);
(async () => {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: false, autoDelete: true });
  await ch.prefetch(256);
  await ch.consume(queue, (m) => {
    const req = JSON.parse(m.content.toString());
    ch.publish('', m.properties.replyTo, Buffer.from(JSON.stringify({ r: req.a + req.b })), { correlationId: m.properties.correlationId });
    ch.ack(m);
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => conn.close().then(() => process.exit(0)));
})();
