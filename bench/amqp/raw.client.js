// Raw amqplib RPC caller: direct reply-to, correlation ids, no-delay; sends the bench payload, parses the echo.
'use strict';
// amqplib as @nanite/core resolves it: the baseline runs on the same version as Nanite.
const amqp = require(require.resolve('amqplib', { paths: [require('node:path').join(__dirname, '..', '..', 'packages', 'core')] }));
const { measure, payload } = require('./measure');
const [url, queue] = process.argv.slice(2);
(async () => {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  const pending = new Map();
  await ch.consume('amq.rabbitmq.reply-to', (m) => {
    const cb = pending.get(m.properties.correlationId);
    pending.delete(m.properties.correlationId);
    cb(JSON.parse(m.content.toString()));
  }, { noAck: true });
  let id = 0;
  const body = payload();
  const call = () => new Promise((resolve) => {
    const cid = String(++id);
    pending.set(cid, resolve);
    ch.publish('', queue, Buffer.from(JSON.stringify(body)), { replyTo: 'amq.rabbitmq.reply-to', correlationId: cid });
  });
  await measure('raw amqplib', call);
  await conn.close();
})();
