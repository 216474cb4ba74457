// Raw amqplib RPC caller: direct reply-to, correlation ids, no-delay; sends the bench payload, parses the echo.
// argv: url queue [props]. With `props`, requests are published the way Nanite publishes them (through a
// direct exchange bound to the queue, `mandatory`, a per-message `expiration`, a content type): the
// broker's share of Nanite's cost, measured without Nanite's code. `props:<letters>` publishes with only
// some of them, to take that cost apart: x (the exchange), m (mandatory), e (expiration), c (content type).
'use strict';
// amqplib as @nanite/core resolves it: the baseline runs on the same version as Nanite.
const amqp = require(require.resolve('amqplib', { paths: [require('node:path').join(__dirname, '..', '..', 'packages', 'core')] }));
const { measure, payload } = require('./measure');
const [url, queue, mode] = process.argv.slice(2);
(async () => {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  const pending = new Map();
  await ch.consume('amq.rabbitmq.reply-to', (m) => {
    const cb = pending.get(m.properties.correlationId);
    pending.delete(m.properties.correlationId);
    cb(JSON.parse(m.content.toString()));
  }, { noAck: true });
  const like = mode === 'props' ? 'xmec' : mode?.startsWith('props:') ? mode.slice(6) : '';
  let exchange = '';
  if (like.includes('x')) {
    exchange = `${queue}.x`;
    await ch.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
    await ch.bindQueue(queue, exchange, queue);
  }
  const props = {
    ...(like.includes('c') ? { contentType: 'application/json' } : {}),
    ...(like.includes('m') ? { mandatory: true } : {}),
    ...(like.includes('e') ? { expiration: '30000' } : {}),
  };
  let id = 0;
  const body = payload();
  const call = () => new Promise((resolve) => {
    const cid = String(++id);
    pending.set(cid, resolve);
    ch.publish(exchange, queue, Buffer.from(JSON.stringify(body)), { replyTo: 'amq.rabbitmq.reply-to', correlationId: cid, ...props });
  });
  await measure('raw amqplib', call);
  await conn.close();
})();
