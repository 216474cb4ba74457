#!/usr/bin/env node
// Producer side of bench/stream.bench.mjs in its own process (issue #16; the default two-process
// mode). Forked by the bench with an IPC channel, never run by hand:
//   node bench/stream-producer.mjs raw|nanite <chunkBytes> <count> <window> <amqpUrl>
// raw:    an amqplib publisher that sends at most `window` chunks ahead of the credit the consumer
//         sends back on this process's exclusive credit queue (same rule as the one-process bench).
// nanite: an Agent whose `/bytes/gen` handler yields `count` chunks (the mapper's credit paces it).
// Messages to the parent: { ready, credits? } once set up; { cpu } (process.cpuUsage() in µs from
// the producer's first chunk to the parent's 'stop') after 'stop', then it closes and exits.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import nanite from '@nanite/core';
import { quiet } from './lib/bytes-stream.mjs';

const [role, chunkArg, countArg, windowArg, url] = process.argv.slice(2);
const CHUNK = Number(chunkArg);
const COUNT = Number(countArg);
const WINDOW = Number(windowArg);
const block = randomBytes(CHUNK);
let cpuStart;
const send = (msg) => new Promise((resolve) => process.send(msg, resolve));
const nextMessage = (type) => new Promise((resolve) => {
  const on = (msg) => {
    if (msg?.type !== type) return;
    process.off('message', on);
    resolve(msg);
  };
  process.on('message', on);
});
// The bench's parent owns this process: if it goes away, so do we.
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);

async function raw() {
  const conn = await amqp.connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  const credits = (await ch.assertQueue('', { exclusive: true, autoDelete: true })).queue;
  let credit = WINDOW;
  let sent = 0;
  let data;
  const pump = () => {
    while (credit > 0 && sent < COUNT) {
      credit--;
      sent++;
      ch.publish('', data, block, { contentType: 'application/octet-stream' });
    }
  };
  await ch.consume(credits, (m) => {
    credit += Number(m.content.toString());
    pump();
  }, { noAck: true });
  const go = nextMessage('go');
  await send({ type: 'ready', credits });
  data = (await go).data;
  cpuStart = process.cpuUsage();
  pump();
  await nextMessage('stop');
  const cpu = process.cpuUsage(cpuStart);
  await conn.close();
  return cpu;
}

async function viaNanite() {
  const { Agent, defineActor } = nanite;
  const actor = defineActor('bytes', {
    async *gen() {
      cpuStart = process.cpuUsage();
      for (let i = 0; i < COUNT; i++) yield block;
    },
  });
  const agent = new Agent({ transport: url, actors: [actor], logger: quiet });
  await agent.start();
  const stop = nextMessage('stop');
  await send({ type: 'ready' });
  await stop;
  const cpu = process.cpuUsage(cpuStart);
  await agent.close();
  return cpu;
}

const cpu = role === 'raw' ? await raw() : await viaNanite();
await send({ type: 'cpu', cpu });
process.off('disconnect', orphaned);
process.disconnect();
