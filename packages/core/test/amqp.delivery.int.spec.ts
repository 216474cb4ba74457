/**
 * amqp:// delivery choices, graceful drain and offline-failsafe parking, in one process.
 */
import { Agent, AmqpTransport, defineActor, Mapper } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const ROUTES = ['/slow/work', '/late/hi'];
const prefixes: string[] = [];
afterAll(() => removeTopology(prefixes, ROUTES));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('amqp:// delivery, drain and parking', () => {
  let prefix: string;
  let closers: Array<() => Promise<void>>;
  const transport = (): AmqpTransport => {
    const t = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => t.close());
    return t;
  };

  beforeEach(() => {
    prefix = uniquePrefix('delivery');
    prefixes.push(prefix);
    closers = [];
  });

  afterEach(async () => {
    for (const c of closers.reverse()) await c();
  });

  const slow = (started: string[]) =>
    defineActor('slow', {
      work: async (p: unknown, ctx) => {
        started.push(ctx.agent);
        await sleep((p as { ms: number }).ms);
        return ctx.agent;
      },
    });

  test('ack-after-handler: a draining agent finishes its request and hands the queued ones back, which run elsewhere (never twice)', async () => {
    const started: string[] = [];
    const a = new Agent({ transport: transport(), identity: 'a', actors: [slow(started)], concurrency: 1, pingInterval: 500 });
    await a.start();
    closers.push(() => a.stop());
    const m = new Mapper({ transport: transport(), timeout: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/slow/work', timeout: 5_000 });
    // a's request outlasts starting b (seconds on a loaded machine), so a is still busy with it when it drains.
    const calls = Array.from({ length: 5 }, () => m.call<string>('/slow/work', { ms: 2_000 }));
    // prefetch = concurrency = 1: one request runs, four wait at the broker.
    await (async () => {
      while (started.length === 0) await sleep(10);
    })();
    const b = new Agent({ transport: transport(), identity: 'b', actors: [slow(started)], concurrency: 4, pingInterval: 500 });
    await b.start();
    closers.push(() => b.stop());
    await m.waitForAgents({ route: '/slow/work', count: 2, timeout: 5_000 });
    await a.stop();
    const replies = await Promise.all(calls);
    expect(replies.filter((r) => r.agent === 'a')).toHaveLength(1);
    expect(replies.filter((r) => r.agent === 'b')).toHaveLength(4);
    expect(started.sort()).toEqual(['a', 'b', 'b', 'b', 'b']);
  });

  test('a caller that gives up stops the handler of an agent whose every slot is busy (concurrency 1: its own request holds the slot)', async () => {
    let aborted = 0;
    let started = 0;
    const a = new Agent({
      transport: transport(),
      identity: 'c1',
      concurrency: 1,
      pingInterval: 500,
      actors: [defineActor('held', { work: (_p: unknown, ctx) => new Promise((resolve) => { started++; ctx.signal.addEventListener('abort', () => { aborted++; resolve('stopped'); }); }) })],
    });
    await a.start();
    closers.push(() => a.stop());
    const m = new Mapper({ transport: transport(), timeout: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/held/work', timeout: 5_000 });
    for (let round = 1; round <= 3; round++) {
      const giveUp = new AbortController();
      const call = m.request('/held/work', null, { signal: giveUp.signal });
      while (started < round) await sleep(10);
      const t0 = Date.now();
      giveUp.abort();
      await expect(call).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
      while (aborted < round && Date.now() - t0 < 5_000) await sleep(5);
      expect(aborted).toBe(round); // and the slot is free again for the next round's request
      expect(Date.now() - t0).toBeLessThan(2_000);
    }
  });

  test('a request its caller gave up on while it waited at the broker never starts (its cancel overtook it and was remembered)', async () => {
    const log: string[] = [];
    let release: (v: string) => void = () => undefined;
    const gate = new Promise<string>((r) => (release = r));
    const a = new Agent({
      transport: transport(),
      identity: 'q2',
      concurrency: 2,
      pingInterval: 500,
      actors: [defineActor('q', {
        job: (n: unknown, ctx) => {
          log.push(`start ${String(n)}`);
          if (n !== 2) return gate;
          return new Promise((resolve) => ctx.signal.addEventListener('abort', () => { log.push('abort 2'); resolve('stopped'); }));
        },
      })],
    });
    await a.start();
    closers.push(() => a.stop());
    const m = new Mapper({ transport: transport(), timeout: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/q/job', timeout: 5_000 });
    const held = [m.request('/q/job', 0), m.request('/q/job', 1)];
    while (log.length < 2) await sleep(10);
    const giveUp = new AbortController();
    const waiting = m.request('/q/job', 2, { signal: giveUp.signal }); // both slots held: it waits at the broker
    await sleep(100);
    giveUp.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    // The cancel reaches the agent (its control queue) before the slots free: were the slots freed
    // first, request 2 could start before its cancel arrived, and be aborted running instead.
    for (let i = 0; i < 200 && a.stats.earlyCancelsWaiting === 0; i++) await sleep(10);
    expect(a.stats.earlyCancelsWaiting).toBe(1);
    release('done');
    await expect(Promise.all(held)).resolves.toEqual(['done', 'done']);
    for (let i = 0; i < 200 && a.stats.cancelledBeforeStart === 0; i++) await sleep(10);
    expect(a.stats.cancelledBeforeStart).toBe(1);
    expect(log).toEqual(['start 0', 'start 1']); // request 2 reached the agent and was answered without running
    expect(a.stats.handled).toBe(2);
  });

  test('per-route at-most-once: the agent still takes no more than its prefetch; what waits at the broker goes elsewhere on drain', async () => {
    const started: string[] = [];
    const t = new AmqpTransport({ url: AMQP_URL, prefix, routeDelivery: { '/slow/work': 'at-most-once' } });
    closers.push(() => t.close());
    const a = new Agent({ transport: t, identity: 'a', actors: [slow(started)], concurrency: 1, pingInterval: 500 });
    await a.start();
    closers.push(() => a.stop());
    const m = new Mapper({ transport: transport(), timeout: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/slow/work', timeout: 5_000 });
    // Long enough that a's first request still runs when a drains.
    const calls = Array.from({ length: 4 }, () => m.call<string>('/slow/work', { ms: 1_000 }));
    const b = new Agent({ transport: transport(), identity: 'b', actors: [slow(started)], concurrency: 4, pingInterval: 500 });
    await sleep(100); // the four requests reach a before b exists
    await b.start();
    closers.push(() => b.stop());
    await m.waitForAgents({ route: '/slow/work', count: 2, timeout: 5_000 });
    await a.stop();
    // `a` took the first (its prefetch window of one); the other three waited at the broker and were
    // handed back to `b` when `a` drained.
    expect((await Promise.all(calls)).map((r) => r.agent)).toEqual(['a', 'b', 'b', 'b']);
  });

  test('a rolling restart: pushes the only agent hands back while it drains wait for its replacement and run there, once each', async () => {
    const started: string[] = [];
    const ran: number[] = [];
    const worker = () =>
      defineActor('slow', {
        work: async (p: unknown, ctx) => {
          started.push(ctx.agent);
          ran.push((p as { n: number }).n);
          await sleep(300);
          return null;
        },
      });
    const old = new Agent({ transport: transport(), identity: 'a', actors: [worker()], concurrency: 1, pingInterval: 500 });
    await old.start();
    // Room for an agent to start on a loaded machine.
    const m = new Mapper({ transport: transport(), timeout: 10_000, failoverWindow: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/slow/work', timeout: 5_000 });
    for (let n = 0; n < 5; n++) await m.push('/slow/work', { n });
    // prefetch = concurrency = 1: one push runs, four wait at the broker and are handed back on drain.
    while (started.length === 0) await sleep(10);
    await old.stop();
    expect(started).toEqual(['a']);
    const next = new Agent({ transport: transport(), identity: 'a', actors: [worker()], concurrency: 4, pingInterval: 500 });
    await next.start();
    closers.push(() => next.stop());
    const by = Date.now() + 15_000;
    while (ran.length < 5 && Date.now() < by) await sleep(20);
    await sleep(300); // nothing runs twice
    expect(ran.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(m.stats).toMatchObject({ undeliveredPushes: 0, redispatched: 4 });
  });

  test('garbage waiting in a draining agent\'s queue is dropped and counted as malformed, not handed back', async () => {
    let started = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<null>((r) => (release = () => r(null)));
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const a = new Agent({ transport: transport(), identity: 'g', logger: quiet, actors: [defineActor('slow', { work: () => { started++; return gate; } })], concurrency: 1, pingInterval: 500 });
    await a.start();
    const m = new Mapper({ transport: transport(), timeout: 10_000 });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/slow/work', timeout: 5_000 });
    const busy = m.request('/slow/work');
    while (started === 0) await sleep(10);
    // prefetch = concurrency = 1: these wait at the broker behind the request that holds the only slot.
    const amqp = await import('amqplib');
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    ch.sendToQueue(`${prefix}.agent.g`, Buffer.from('{garbage'));
    ch.sendToQueue(`${prefix}.agent.g`, Buffer.from('\u0000\u0001'));
    // An upload's binary chunk is a packet, not garbage: a draining agent still takes the chunks of
    // its running requests (this one belongs to none: a stray upload, not malformed).
    ch.sendToQueue(`${prefix}.agent.g`, Buffer.from([1, 2, 3]), { contentType: 'application/x-nanite-chunk', headers: { 'x-nanite-chunk': { id: 99, from: 'someone', seq: 0 } } });
    await ch.close();
    await conn.close();
    const before = a.stats.malformed;
    const strayBefore = a.stats.strayUploads;
    const stopping = a.stop(); // the drain hands back what waits, while the slot is still held
    const by = Date.now() + 10_000;
    while (a.stats.malformed - before < 2 && Date.now() < by) await sleep(10);
    await sleep(100);
    release();
    await stopping;
    await expect(busy).resolves.toBeNull();
    expect(a.stats.malformed - before).toBe(2);
    expect(a.stats.strayUploads - strayBefore).toBe(1);
  });

  test('persistent: a request with no agent is parked durably and answered by an agent that starts later', async () => {
    const m = new Mapper({ transport: transport(), timeout: 10_000, discoveryWindow: 0 });
    await m.start();
    closers.push(() => m.close());
    const answer = m.request<string>('/late/hi', 'there', { persistent: true });
    await sleep(200); // parked, with no agent anywhere
    const late = new Agent({ transport: transport(), identity: 'late', actors: [defineActor('late', { hi: (p: unknown) => `hi ${String(p)}` })] });
    await late.start();
    closers.push(() => late.stop());
    await expect(answer).resolves.toBe('hi there');
  });
});
