// Raw amqplib RPC caller: direct reply-to, correlation ids, no-delay.
'use strict';
const amqp = require('amqplib');
const { measure } = require('./measure');
const [url, queue] = process.argv.slice(2);
(async () => {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  const pending = new Map();
  await ch.consume('amq.rabbitmq.reply-to', (m) => {
    const cb = pending.get(m.properties.correlationId);
    pending.delete(m.properties.correlationId);
    cb(JSON.parse(m.content.toString()).r);
  }, { noAck: true });
  let id = 0;
  const call = () => new Promise((resolve) => {
    const cid = String(++id);
    pending.set(cid, resolve);
    ch.publish('', queue, Buffer.from(JSON.stringify({ a: 1, b: 2 })), { replyTo: 'amq.rabbitmq.reply-to', correlationId: cid });
  });
  await measure('raw amqplib', call);
  await conn.close();
})();
