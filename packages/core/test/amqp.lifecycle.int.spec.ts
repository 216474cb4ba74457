/**
 * amqp:// agent link lifecycle: stopping an agent while its link is (re)attaching leaves nothing
 * behind in the broker, actors added after start take their parked requests, and an agent whose
 * queue the broker stopped routing to notices it and attaches again.
 *
 * The race test puts a TCP proxy with latency between the agent and the broker, so that the
 * re-attach after a dropped connection takes long enough to stop the agent in the middle of it.
 */
import { execFile } from 'node:child_process';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { Agent, AmqpTransport, amqpNames, defineActor, Mapper } from '../src';
import { AMQP_URL, connectionOf, queueExists, removeTopology, uniquePrefix } from './amqp.helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

/** A TCP proxy to the test broker that delays everything the broker sends by `latency` ms. */
class SlowProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly latency: number) {
    const broker = new URL(AMQP_URL);
    this.server = createServer((client) => {
      const upstream = tcpConnect(Number(broker.port || 5672), broker.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined); // a dropped side closes the other below
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          client.write(chunk);
        }, this.latency);
        this.timers.add(t);
      });
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }

  /** Drops every proxied connection (the client sees its connection lost). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    this.dropAll();
    for (const t of this.timers) clearTimeout(t);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The first answer `mapper` gets from `route`, asking again until one comes or `ms` have passed (then undefined). */
async function firstAnswer(mapper: Mapper, route: string, ms: number): Promise<unknown> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const answer = await mapper.request(route, undefined, { timeout: 500 }).catch(() => sleep(50).then(() => undefined));
    if (answer !== undefined) return answer;
  }
  return undefined;
}

describe('amqp:// agent link lifecycle', () => {
  const prefixes: string[] = [];
  let closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  afterAll(() => removeTopology(prefixes, ['/late/hi', '/first/ping', '/p/ping', '/race/run', '/cut/hi', '/locked/hi', '/wide/hi']));


  test('an agent whose concurrency is past what AMQP\'s prefetch carries fails its start with NANITE_ERR_INVALID_ARGUMENT (it used to start and retry its attach forever, serving nothing)', async () => {
    const prefix = uniquePrefix('qos');
    prefixes.push(prefix);
    const transport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => transport.close());
    const agent = new Agent({ transport, identity: 'wide', concurrency: 70_000, actors: [defineActor('wide', { hi: () => 'hi' })] });
    closers.push(() => agent.close());
    await expect(agent.start()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'concurrency' } });
    const ok = new Agent({ transport, identity: 'max', concurrency: 65_535, actors: [defineActor('wide', { hi: () => 'hi' })] });
    closers.push(() => ok.close());
    await ok.start();
    const m = new Mapper({ transport, timeout: 5_000 });
    closers.push(() => m.close());
    await m.start();
    await m.waitForAgents({ route: '/wide/hi', timeout: 5_000 });
    await expect(m.request('/wide/hi')).resolves.toBe('hi');
  });

  test('an agent stopped while its link re-attaches leaves no queue behind on the shared connection', async () => {
    const prefix = uniquePrefix('race');
    prefixes.push(prefix);
    const queue = amqpNames(prefix).agentQueue('racer');
    const proxy = new SlowProxy(100);
    closers.push(() => proxy.close());
    const port = await proxy.listen();
    const url = new URL(AMQP_URL);
    url.port = String(port);
    // Shared (not owned by the agent): the connection outlives the agent, and so would a leaked channel.
    const transport = new AmqpTransport({ url: url.toString(), prefix, reconnectMin: 20, reconnectMax: 50, connectTimeout: 10_000 });
    closers.push(() => transport.close());
    const agent = new Agent({ transport, identity: 'racer', pingInterval: 500, actors: [defineActor('race', { run: () => 'ok' })] });
    await agent.start();
    const back = new Promise<void>((resolve) => {
      const off = transport.onConnectionChange((up) => {
        if (!up) return;
        off();
        resolve();
      });
    });
    proxy.dropAll();
    await back;
    // Each broker answer takes 100 ms: the re-attach (channel, exchanges, queue, three bindings) is under way.
    await sleep(250);
    await agent.stop();
    await sleep(800); // the re-attach has long finished
    const direct = await amqp.connect(AMQP_URL);
    closers.push(() => direct.close());
    expect(transport.isConnected).toBe(true);
    expect(await queueExists(direct, queue)).toBe(false);
  });

  test('a mapper closed on a shared transport leaves no queue collecting heartbeats', async () => {
    const prefix = uniquePrefix('mapper-close');
    prefixes.push(prefix);
    const shared = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => shared.close());
    const agent = new Agent({ transport: shared, identity: 'pinger', pingInterval: 50, actors: [defineActor('p', { ping: () => 'pong' })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mapper = new Mapper({ transport: shared });
    await mapper.start();
    await mapper.waitForAgents({ route: '/p/ping', timeout: 5_000 });
    await mapper.close();
    const direct = await amqp.connect(AMQP_URL);
    closers.push(() => direct.close());
    expect(await queueExists(direct, amqpNames(prefix).mapperQueue(mapper.identity))).toBe(false);
  });

  test('an agent whose queue the broker forgot under it (a crashed cluster node\'s clean-up) attaches again and is back in dispatch', async () => {
    // RabbitMQ's clean-up of a crashed node can delete the record (and so the bindings) of a queue an
    // agent has just re-declared on a surviving node (rabbitmq-server#9798): the consumer lives on,
    // no cancel arrives, the agent's Pings still reach every mapper, but requests and Advertises to it
    // are unroutable. That race cannot be staged on one node, so it is rebuilt from its two effects:
    // the queue's bindings removed (on the agent's own connection: the queue is exclusive), and the
    // answer the broker then gives the agent itself — every self-probe to the queue's name through
    // the default exchange handed back — emitted on the agent's channel.
    const { prefix, agentTransport, mapper, link, queue } = await cutSetup('unrouted');
    const names = amqpNames(prefix);
    const own = connectionOf(agentTransport);
    const ch = await own.createChannel();
    await ch.unbindQueue(queue, names.agent, 'cut');
    await ch.unbindQueue(queue, names.agent, 'probe.cut');
    await ch.unbindQueue(queue, names.advertise, '');
    await ch.close();
    const agentCh = link.ch!;
    const publish = agentCh.publish.bind(agentCh);
    agentCh.publish = (exchange, key, content, options) => {
      const sent = publish(exchange, key, content, options);
      if (options?.type === 'nanite.probe' && exchange === '' && key === queue) setImmediate(() => agentCh.emit('return', probeReturn(queue, options.messageId)));
      return sent;
    };
    agentCh.emit('return', probeReturn(queue));
    const cutAt = Date.now();
    // The mapper finds out from its returned requests; the agent from its probes (the second one confirms).
    const answer = await firstAnswer(mapper, '/cut/hi', 10_000);
    expect(answer).toBe('hi');
    expect(agentTransport.stats().unroutedQueues).toBe(1);
    // What was left of the lost queue is gone; the agent serves from a queue of a fresh name.
    const direct = await amqp.connect(AMQP_URL);
    closers.push(() => direct.close());
    expect(await queueExists(direct, queue)).toBe(false);
    process.stdout.write(`unrouted queue: back in dispatch ${Date.now() - cutAt} ms after the broker forgot it\n`);
  });

  test('an agent whose control queue the broker forgot under it attaches again: cancels reach it again while its only slot is busy', async () => {
    // The same clean-up can remove the control queue's record: requests still flow, but cancels and
    // what follows running requests (chunks, credit) are dropped unseen. Rebuilt as above: its
    // binding removed, and the agent's probes of it handed back.
    const { prefix, agentTransport, mapper, link, queue } = await cutSetup('unrouted-control', 1);
    const names = amqpNames(prefix);
    const control = names.controlQueue(queue);
    const own = connectionOf(agentTransport);
    const ch = await own.createChannel();
    await ch.unbindQueue(control, names.agent, 'control.cut');
    await ch.close();
    const agentCh = link.ch!;
    const publish = agentCh.publish.bind(agentCh);
    agentCh.publish = (exchange, key, content, options) => {
      const sent = publish(exchange, key, content, options);
      if (options?.type === 'nanite.probe' && exchange === '' && key === control) setImmediate(() => agentCh.emit('return', probeReturn(control, options.messageId)));
      return sent;
    };
    const end = Date.now() + 10_000;
    while (agentTransport.stats().unroutedQueues === 0 && Date.now() < end) await sleep(50);
    expect(agentTransport.stats().unroutedQueues).toBe(1);
    // Back in dispatch under fresh names, and a caller that gives up stops the handler holding the only slot.
    expect(await firstAnswer(mapper, '/cut/hi', 5_000)).toBe('hi');
    const giveUp = new AbortController();
    const call = mapper.request('/cut/hold', null, { signal: giveUp.signal, timeout: 10_000 });
    while (held.started === 0) await sleep(10);
    const t0 = Date.now();
    giveUp.abort();
    await expect(call).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    while (held.aborted === 0 && Date.now() - t0 < 5_000) await sleep(5);
    expect(held.aborted).toBe(1);
    // Both old queues are gone (the request queue would otherwise keep collecting copies of requests).
    const direct = await amqp.connect(AMQP_URL);
    closers.push(() => direct.close());
    expect(await queueExists(direct, queue)).toBe(false);
    expect(await queueExists(direct, control)).toBe(false);
  });

  test('one returned probe of an agent\'s own queue that a second probe does not confirm changes nothing (the queue, its requests and its place in dispatch stay)', async () => {
    // While another cluster node left, a surviving node once handed back an agent's probe of a queue
    // it still routed to; the agent attached again for nothing, losing what was queued for it, and a
    // mapper dropped it. A lone return now only starts a confirmation, which the real broker answers.
    const { agentTransport, mapper, link, queue } = await cutSetup('lone');
    const down: string[] = [];
    mapper.on('agent:down', (a, reason) => down.push(`${a.identity} ${reason}`));
    link.ch!.emit('return', probeReturn(queue));
    // Requests keep flowing through the confirmation (one second, then up to one more for its return).
    const end = Date.now() + 2_500;
    let answered = 0;
    while (Date.now() < end) {
      await expect(mapper.request('/cut/hi')).resolves.toBe('hi');
      answered++;
      await sleep(20);
    }
    expect(answered).toBeGreaterThan(20);
    expect(agentTransport.stats()).toMatchObject({ unroutedQueues: 0, unconfirmedProbeReturns: 1 });
    expect(down).toEqual([]);
    const direct = await amqp.connect(AMQP_URL);
    closers.push(() => direct.close());
    expect(await queueExists(direct, queue)).toBe(true);
  });

  /** What `/cut/hold` (runs until its caller gives up) has seen. */
  const held = { started: 0, aborted: 0 };

  /** An agent `cut` (pings every 200 ms) and a mapper that has it in dispatch; the agent link and its queue's name. */
  async function cutSetup(tag: string, concurrency?: number): Promise<{ prefix: string; agentTransport: AmqpTransport; mapper: Mapper; link: { ch?: amqp.Channel }; queue: string }> {
    const prefix = uniquePrefix(tag);
    prefixes.push(prefix);
    const agentTransport = new AmqpTransport({ url: AMQP_URL, prefix });
    // Unbinding stands in for a queue record the clean-up removed. The default exchange stops routing
    // to a removed record too, but not to an unbound queue: the mapper publishes through `P.agent` here.
    const mapperTransport = new AmqpTransport({ url: AMQP_URL, prefix, defaultExchange: false });
    closers.push(() => agentTransport.close(), () => mapperTransport.close());
    const hold = (_p: unknown, ctx: { signal: AbortSignal }): Promise<string> => new Promise((resolve) => {
      held.started++;
      ctx.signal.addEventListener('abort', () => { held.aborted++; resolve('stopped'); });
    });
    const agent = new Agent({ transport: agentTransport, identity: 'cut', pingInterval: 200, concurrency, actors: [defineActor('cut', { hi: () => 'hi', hold })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mapper = new Mapper({ transport: mapperTransport, timeout: 2_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/cut/hi', timeout: 5_000 });
    await expect(mapper.request('/cut/hi')).resolves.toBe('hi');
    // Five Pings, five probes: a healthy queue's probe is routed, never handed back.
    await sleep(1_000);
    expect(agentTransport.stats()).toMatchObject({ unroutedQueues: 0, unconfirmedProbeReturns: 0 });
    const link = [...(agentTransport as unknown as { links: Set<{ ch?: amqp.Channel }> }).links][0]!;
    return { prefix, agentTransport, mapper, link, queue: amqpNames(prefix).agentQueue('cut') };
  }

  test('an agent whose queue name is taken when it reconnects (RESOURCE_LOCKED) attaches under a fresh name and is back in dispatch', async () => {
    // On a cluster the crashed node's exclusive queue keeps the name locked for a while; here another
    // connection takes the name in the gap between the agent's lost connection and its reconnect.
    // The lost connection's channel had scheduled a re-attach for that connection, and that stale
    // retry once swallowed the retry of the failed attach on the new one: the agent never came back.
    // The reconnect (100 ms) comes before that stale retry is due (REATTACH_DELAY, 200 ms), as on a
    // cluster whose client fails over to the next node at once.
    const prefix = uniquePrefix('locked');
    prefixes.push(prefix);
    const queue = amqpNames(prefix).agentQueue('locked');
    const proxy = new SlowProxy(0);
    closers.push(() => proxy.close());
    const url = new URL(AMQP_URL);
    url.port = String(await proxy.listen());
    const agentTransport = new AmqpTransport({ url: url.toString(), prefix, reconnectMin: 100, reconnectMax: 100 });
    const mapperTransport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => agentTransport.close(), () => mapperTransport.close());
    const agent = new Agent({ transport: agentTransport, identity: 'locked', pingInterval: 300, actors: [defineActor('locked', { hi: () => 'hi' })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mapper = new Mapper({ transport: mapperTransport, timeout: 2_000 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/locked/hi', timeout: 5_000 });

    const thief = await amqp.connect(AMQP_URL);
    closers.push(() => thief.close());
    proxy.dropAll();
    // The broker deletes the agent's exclusive queue with its connection; take the name at once.
    let taken = false;
    const until = Date.now() + 2_000;
    while (!taken && Date.now() < until) {
      const ch = await thief.createChannel();
      ch.on('error', () => undefined);
      taken = await ch.assertQueue(queue, { exclusive: true }).then(() => true, () => false);
    }
    expect(taken).toBe(true);
    const cutAt = Date.now();
    const answer = await firstAnswer(mapper, '/locked/hi', 10_000);
    expect(answer).toBe('hi');
    // And it stays: its Pings keep reaching the mapper past several ping intervals.
    await sleep(1_500);
    await expect(mapper.request('/locked/hi', undefined, { target: 'locked' })).resolves.toBe('hi');
    process.stdout.write(`locked queue name: back in dispatch ${Date.now() - cutAt - 1_500} ms after the reconnect found it taken\n`);
  });

  test('an agent whose control queue is deleted under it attaches again on a fresh channel: its queues keep one consumer each', async () => {
    const prefix = uniquePrefix('ctlgone');
    prefixes.push(prefix);
    const transport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => transport.close());
    const agent = new Agent({ transport, identity: 'ctl', pingInterval: 300, concurrency: 1, actors: [defineActor('ctl', { hi: () => 'hi' })] });
    await agent.start();
    closers.push(() => agent.stop());
    const queue = amqpNames(prefix).agentQueue('ctl');
    const control = amqpNames(prefix).controlQueue(queue);
    expect(await consumersOf([queue, control])).toEqual({ [queue]: 1, [control]: 1 });
    await run('rabbitmqctl', ['-q', 'delete_queue', control], { timeout: 30_000 });
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      if ((await consumersOf([queue, control]))[control] === 1) break;
    }
    await sleep(300);
    // The old channel's consumer of the request queue went with it (it would double the agent's window, and deliver while it drains).
    expect(await consumersOf([queue, control])).toEqual({ [queue]: 1, [control]: 1 });
  });

  test('an agent whose identity ends in .control runs beside the agent whose control queue has that name, on one connection', async () => {
    const prefix = uniquePrefix('ctlname');
    prefixes.push(prefix);
    const transport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => transport.close());
    const actor = (name: string) => defineActor('who', { am: { idempotent: true, handler: () => name } });
    const x = new Agent({ transport, identity: 'x', pingInterval: 300, actors: [actor('x')] });
    await x.start();
    closers.push(() => x.stop());
    const xc = new Agent({ transport, identity: 'x.control', pingInterval: 300, actors: [actor('x.control')] });
    await xc.start();
    closers.push(() => xc.stop());
    const mapperTransport = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => mapperTransport.close());
    const mapper = new Mapper({ transport: mapperTransport, timeout: 5_000 });
    closers.push(() => mapper.close());
    await mapper.start();
    await mapper.waitForAgents({ route: '/who/am', count: 2, timeout: 10_000 });
    await expect(mapper.request('/who/am', null, { target: 'x' })).resolves.toBe('x');
    await expect(mapper.request('/who/am', null, { target: 'x.control' })).resolves.toBe('x.control');
  });

  test('an actor added after start takes the requests parked for its route', async () => {
    const prefix = uniquePrefix('addroutes');
    prefixes.push(prefix);
    const transport = (): AmqpTransport => {
      const t = new AmqpTransport({ url: AMQP_URL, prefix });
      closers.push(() => t.close());
      return t;
    };
    const agent = new Agent({ transport: transport(), identity: 'grower', pingInterval: 200, actors: [defineActor('first', { ping: () => 'pong' })] });
    await agent.start();
    closers.push(() => agent.stop());
    const mapper = new Mapper({ transport: transport(), timeout: 5_000, discoveryWindow: 0 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/first/ping', timeout: 5_000 });
    // Nobody serves /late/hi yet: the request is parked in the broker.
    const answer = mapper.request<string>('/late/hi', 'there', { persistent: true });
    await sleep(200);
    agent.addActor(defineActor('late', { hi: (p: unknown) => `hi ${String(p)}` }));
    await expect(answer).resolves.toBe('hi there');
  });
});

/** Consumers of each of `queues` now (rabbitmqctl on the local broker). */
async function consumersOf(queues: readonly string[]): Promise<Record<string, number>> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_consumers', 'queue_name'], { timeout: 30_000 });
  const counts: Record<string, number> = Object.fromEntries(queues.map((q) => [q, 0]));
  for (const line of stdout.split('\n')) {
    const name = line.trim();
    if (name in counts) counts[name]!++;
  }
  return counts;
}

/** What the broker hands back for an unroutable probe of `queue` through the default exchange. */
function probeReturn(queue: string, messageId?: string): amqp.Message {
  const properties = { type: 'nanite.probe', headers: {}, ...(messageId !== undefined ? { messageId } : {}) };
  return { fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: queue }, properties, content: Buffer.alloc(0) } as unknown as amqp.Message;
}
