// Nanite's own CPU per request on the amqp:// path, without a broker or amqplib: one process runs an
// agent and a mapper whose links (the real AmqpAgentLink / AmqpMapperLink, built from dist) talk
// through a fake channel that hands each published message to the other side's consumer one
// event-loop turn later, as a broker would. What it measures is everything Nanite does per request
// on both sides of the wire (mapper, dispatcher, in-flight table, publisher, serializer, agent
// inbox, reply cache, job runner, replier, acks), and nothing of amqplib, the socket or the broker.
//   node bench/amqp/loopback.js [--seconds=3] [--concurrency=1,64] [--payload=100] [--rounds=3]
// Prints CPU µs per request (both sides together: one process) per concurrency, median of the rounds.
'use strict';
const { join } = require('node:path');
const { setImmediate } = require('node:timers');
const dist = join(__dirname, '..', '..', 'packages', 'core', 'dist');
const { Agent, Mapper, defineActor, JsonSerializer, amqpNames } = require(dist);
const { AmqpAgentLink } = require(join(dist, 'transport/amqp/amqp-agent.link.js'));
const { AmqpMapperLink } = require(join(dist, 'transport/amqp/amqp-mapper.link.js'));
const { payload } = require('./measure');

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const seconds = Number(args.seconds ?? 3);
const levels = String(args.concurrency ?? '1,64').split(',').map(Number);
const rounds = Number(args.rounds ?? 3);
const size = Number(args.payload ?? 100);

const names = amqpNames('loop');
const REPLY_TO = 'amq.rabbitmq.reply-to';
const log = (o, m) => process.stderr.write(`${m} ${JSON.stringify(o)}\n`);
const silent = { trace() {}, debug() {}, info() {}, warn: log, error: log, fatal: log, child() { return silent; } };

/** A broker reduced to routing: per-queue consumers, delivery one turn after the publish. */
class FakeBroker {
  constructor() {
    this.consumers = new Map(); // queue -> [ch, cb]
    this.replyConsumers = new Map(); // reply token -> cb
    this.queue = [];
    this.scheduled = false;
    this.channels = 0;
  }
  deliver(cb, content, properties, fields) {
    this.queue.push([cb, { content, properties, fields }]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const q = this.queue;
        this.queue = [];
        for (const [cb2, m] of q) cb2(m);
      });
    }
  }
}

class FakeChannel {
  constructor(broker) {
    this.b = broker;
    this.token = `reply-${++broker.channels}`;
    this.tag = 0;
  }
  on() {}
  async assertExchange() {}
  async assertQueue(q) {
    return { queue: q };
  }
  async bindQueue() {}
  async unbindQueue() {}
  async prefetch() {}
  async cancel() {}
  async close() {}
  async deleteQueue() {}
  async checkQueue(q) {
    return { queue: q, messageCount: 0, consumerCount: 0 };
  }
  async get() {
    return false;
  }
  async consume(queue, cb) {
    if (queue === REPLY_TO) this.b.replyConsumers.set(this.token, cb);
    else this.b.consumers.set(queue, [this, cb]);
    return { consumerTag: `${queue}-tag` };
  }
  publish(exchange, key, content, props = {}) {
    const properties = { headers: {}, ...props };
    if (props.replyTo === REPLY_TO) properties.replyTo = this.token;
    if (exchange === '') {
      const cb = this.b.replyConsumers.get(key);
      if (cb) this.b.deliver(cb, content, properties, { deliveryTag: 0, redelivered: false, exchange, routingKey: key });
      return true;
    }
    if (exchange === names.agent) {
      const c = this.b.consumers.get(names.agentQueue(key));
      if (c) this.b.deliver(c[1], content, properties, { deliveryTag: ++c[0].tag, redelivered: false, exchange, routingKey: key });
      return true;
    }
    if (exchange === names.heartbeat) {
      for (const [q, [, cb]] of this.b.consumers) if (q.startsWith('loop.mapper.')) this.b.deliver(cb, content, properties, { deliveryTag: 0, redelivered: false, exchange, routingKey: key });
      return true;
    }
    if (exchange === names.advertise) {
      for (const [q, [ch, cb]] of this.b.consumers) if (q.startsWith('loop.agent.')) this.b.deliver(cb, content, properties, { deliveryTag: ++ch.tag, redelivered: false, exchange, routingKey: key });
      return true;
    }
    return true;
  }
  ack() {}
}

/** A Transport that opens the real amqp links on fake channels. */
function fakeTransport(broker) {
  const model = { connection: {}, createChannel: async () => new FakeChannel(broker), createConfirmChannel: async () => new FakeChannel(broker) };
  const connection = { isUp: true, current: model, observe: (o) => (o.up(model, false), () => undefined) };
  const common = { connection, names, serializer: new JsonSerializer(), logger: silent, bufferSize: 10_000, batchWrites: false, onClosed() {} };
  const links = [];
  return {
    url: 'loop://',
    async connect() {},
    async openAgent(identity, sink, options) {
      const link = new AmqpAgentLink(identity, sink, options, { ...common, delivery: 'ack-after-handler', routeDelivery: {}, dedupWindow: 30_000 });
      links.push(link);
      await link.open();
      return link;
    },
    async openMapper(id, sink) {
      const link = new AmqpMapperLink(id, sink, { ...common, probeInterval: 2_000, rejoinTimeout: 10_000 });
      links.push(link);
      await link.open();
      return link;
    },
    async close() {
      for (const l of links) await l.close();
    },
  };
}

async function phase(call, concurrency, ms) {
  const end = Date.now() + ms;
  let done = 0;
  const worker = async () => {
    while (Date.now() < end) {
      await call();
      done++;
    }
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(cpu0);
  return { done, usPerReq: (cpu.user + cpu.system) / done };
}

(async () => {
  const broker = new FakeBroker();
  const transport = fakeTransport(broker);
  const agent = new Agent({ transport, identity: 'loop-agent', concurrency: 256, actors: [defineActor('bench', { echo: (p) => p })] });
  const mapper = new Mapper({ transport, timeout: 30_000 });
  // The mapper first: the fake broker drops what reaches a queue nobody consumes yet (the agent's Register).
  await mapper.start();
  await agent.start();
  await mapper.waitForAgents({ route: '/bench/echo', timeout: 5_000 });
  const body = payload(size);
  const call = () => mapper.request('/bench/echo', body);
  await phase(call, 64, 1000); // warm-up
  const results = new Map(levels.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) for (const c of levels) results.get(c).push(await phase(call, c, seconds * 1000));
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const c of levels) {
    const rs = results.get(c);
    process.stdout.write(`loopback ${size} B c=${c}: ${median(rs.map((x) => x.usPerReq)).toFixed(2)} µs CPU per request (both sides), ${Math.round(median(rs.map((x) => x.done)) / seconds)} req/s  [${rs.map((x) => x.usPerReq.toFixed(2)).join(', ')}]\n`);
  }
  await mapper.close();
  await agent.close();
})();
