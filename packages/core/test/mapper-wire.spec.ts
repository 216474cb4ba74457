// What the mapper puts on the wire and what it accepts back: deadlines (ttl, sentAt, nothing sent
// once the deadline is gone), unguessable ids, replies only from the agent a request went to, and
// returns only of what it has in flight.
import { Mapper, RandomSelector, defineActor, type AgentLink, type MemoryTransport, type RequestPacket } from '../src';
import { TestCluster, closeCluster, deferred, flush, useFakeTimers } from './helpers';
import { SentPushes, type PushCopy } from '../src/mapper/sent-pushes';
import { ObservedTransport } from './observed-transport';

let c: TestCluster;
let forger: AgentLink | undefined;
let forgerTransport: MemoryTransport | undefined;
let release: () => void;
beforeEach(() => {
  c = new TestCluster();
  useFakeTimers();
  release = () => undefined;
});
afterEach(async () => {
  release();
  await forger?.close();
  await forgerTransport?.close();
  forger = forgerTransport = undefined;
  await closeCluster(c);
});

const actor = () => defineActor('svc', {
  who: (_p: unknown, ctx) => ctx.agent,
  gated: async (_p: unknown, ctx) => {
    const gate = deferred();
    release = gate.resolve;
    ctx.progress('started', true);
    await gate.promise;
    return ctx.agent;
  },
});

async function setup(options: { agents?: string[]; discoveryWindow?: number; failoverWindow?: number } = {}) {
  for (const identity of options.agents ?? ['a']) await c.agent({ identity, actors: [actor()] }).start();
  const t = new ObservedTransport(c.transport());
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: options.discoveryWindow ?? 0, ...(options.failoverWindow === undefined ? {} : { failoverWindow: options.failoverWindow }) });
  await m.start();
  await flush();
  forgerTransport = c.transport();
  await forgerTransport.connect();
  forger = await forgerTransport.openAgent('evil', { onPacket: (_p, settle) => settle(), onMalformed: () => undefined }, { prefetch: 1 });
  return { m, t, f: forger };
}

async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    jest.advanceTimersByTime(step);
    await flush();
  }
}

describe('deadlines', () => {
  test('a request carries the time left as ttl and packet timeout, and when it was sent', async () => {
    const { m, t } = await setup({ agents: [], discoveryWindow: 1_000 });
    const answer = m.request('/svc/who', null, { timeout: 2_000 });
    await advance(300);
    await c.agent({ identity: 'late', actors: [actor()] }).start(); // answers the wait for an agent
    await flush();
    await expect(answer).resolves.toBe('late');
    const [sent] = t.requests();
    expect(sent!.options).toEqual({ persistent: false, ttl: 1_700, now: Date.now() });
    expect(sent!.packet).toMatchObject({ timeout: 1_700, sentAt: Date.now() });
  });

  test('a fan-out whose deadline passes during the discovery window fails with NANITE_ERR_TIMEOUT and sends nothing', async () => {
    const { m, t } = await setup({ discoveryWindow: 500 });
    const all = m.request('/svc/who', null, { selector: 'all', timeout: 200 }).catch((e: unknown) => e);
    await advance(200, 50);
    expect(await all).toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(t.requests()).toEqual([]);
    expect(m.stats).toMatchObject({ pending: 0, expiredBeforeSend: 1 });
    await advance(500);
    expect(t.requests()).toEqual([]);
  });

  test('a nested call that arrives with its deadline gone fails at once without sending', async () => {
    const { m, t } = await setup();
    await expect(m.request('/svc/who', null, { deadline: Date.now() - 1 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(t.requests()).toEqual([]);
  });
});

describe('ids and replies', () => {
  test('request ids are random safe integers, never in sequence', async () => {
    const { m, t } = await setup();
    for (let i = 0; i < 50; i++) await m.request('/svc/who');
    const ids = t.requests().map((r) => r.packet.id);
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(Number.isSafeInteger(id) && id >= 0).toBe(true);
    expect(ids.filter((id, i) => i > 0 && Math.abs(id - ids[i - 1]!) <= 1000)).toEqual([]);
  });

  test('a blind spray of result ids 0..N from a forger hits nothing', async () => {
    const { m, f } = await setup();
    const answer = m.request('/svc/gated');
    await flush();
    for (let id = 0; id <= 5_000; id++) f.reply(m.identity, { v: 1, type: 'result', id, from: 'a', ok: true, result: 'forged' });
    await flush();
    release();
    await expect(answer).resolves.toBe('a');
  });

  test('a result or progress from an agent the request was not sent to is dropped and counted', async () => {
    const { m, t, f } = await setup();
    const progress: string[] = [];
    const answer = m.request('/svc/gated', null, { onProgress: (key, _v, agent) => progress.push(`${key}@${agent}`) });
    await flush();
    const { id } = t.requests()[0]!.packet;
    f.reply(m.identity, { v: 1, type: 'progress', id, from: 'evil', key: 'fake', value: 1 });
    f.reply(m.identity, { v: 1, type: 'result', id, from: 'evil', ok: true, result: 'forged' });
    await flush();
    expect(m.stats).toMatchObject({ pending: 1, strayReplies: 2 });
    release();
    await expect(answer).resolves.toBe('a');
    expect(progress).toEqual(['started@a']);
  });
});

describe('returned requests and pushes', () => {
  const push = (id: number, route = '/svc/who'): RequestPacket => ({ v: 1, type: 'push', id, route, payload: null, replyTo: 'x', timeout: 0, hops: 0 });

  test('a returned push or request the mapper did not send to that agent is counted, not re-sent, and does not suspend the agent', async () => {
    const { m, t } = await setup({ agents: ['a', 'b'] });
    const sink = t.mapperSink!;
    const before = t.packets.length;
    sink.onUndeliverable(push(12345), 'a');
    sink.onUndeliverable({ ...push(777), type: 'request' }, 'b');
    await flush();
    expect(t.packets.length).toBe(before);
    expect(m.stats).toMatchObject({ strayReturns: 2, redispatched: 0 });
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await m.request<string>('/svc/who', null, { selector: 'round_robin' }));
    expect([...answers].sort()).toEqual(['a', 'b']);
  });

  test('a push this mapper sent that comes back is re-sent once, as sent, to another agent; a duplicate return is not', async () => {
    const { m, t } = await setup({ agents: ['a', 'b'] });
    await m.push('/svc/who', 'hello', { selector: (cands) => cands.find((x) => x.identity === 'a') ?? cands[0] });
    await flush();
    const sent = t.requests()[0]!;
    expect(sent.agent).toBe('a');
    const sink = t.mapperSink!;
    sink.onUndeliverable({ ...sent.packet, payload: 'tampered' } as RequestPacket, 'a');
    sink.onUndeliverable(sent.packet as RequestPacket, 'a');
    await flush();
    const resent = t.requests().slice(1);
    expect(resent.map((r) => [r.agent, r.packet.id, r.packet.payload])).toEqual([['b', sent.packet.id, 'hello']]);
    expect(m.stats).toMatchObject({ redispatched: 1, strayReturns: 1 });
  });

  test('a push handed back after its agent unregistered (a draining agent\'s last hand-back) is still moved, once', async () => {
    const a = c.agent({ identity: 'a', actors: [actor()] });
    await a.start();
    const { m, t } = await setup({ agents: ['b'] });
    await m.push('/svc/who', 'late', { selector: (cands) => cands.find((x) => x.identity === 'a') ?? cands[0] });
    await flush();
    const sent = t.requests()[0]!;
    expect(sent.agent).toBe('a');
    await a.close();
    await flush();
    expect(m.agents().map((x) => x.identity)).toEqual(['b']);
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    await flush();
    expect(t.requests().slice(1).map((r) => [r.agent, r.packet.id, r.packet.payload])).toEqual([['b', sent.packet.id, 'late']]);
    expect(m.stats).toMatchObject({ redispatched: 1, strayReturns: 1, undeliveredPushes: 0 });
  });

  test('a targeted push handed back after its agent unregistered waits for that identity to register again', async () => {
    const a = c.agent({ identity: 'a', actors: [actor()] });
    await a.start();
    const { m, t } = await setup({ agents: ['b'] });
    await m.push('/svc/who', 'for a', { target: 'a' });
    await flush();
    const sent = t.requests()[0]!;
    await a.close();
    await flush();
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    await advance(300);
    expect(t.requests()).toHaveLength(1);
    await c.agent({ identity: 'a', actors: [actor()] }).start();
    await advance(200);
    expect(t.requests().slice(1).map((r) => [r.agent, r.packet.id, r.packet.payload])).toEqual([['a', sent.packet.id, 'for a']]);
    expect(m.stats).toMatchObject({ redispatched: 1, undeliveredPushes: 0, strayReturns: 0 });
  });

  test('a push for one target that comes back waits for that target to register again and goes to it, never to another agent', async () => {
    const { m, t } = await setup({ agents: ['a', 'b'] });
    await m.push('/svc/who', 'hello', { target: 'a' });
    await flush();
    const sent = t.requests()[0]!;
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    await advance(300); // a, out of dispatch, is asked to register again and does
    expect(t.requests().slice(1).map((r) => [r.agent, r.packet.id, r.packet.payload])).toEqual([['a', sent.packet.id, 'hello']]);
    expect(m.stats).toMatchObject({ redispatched: 1, undeliveredPushes: 0 });
  });

  test('a push that comes back with tags goes only to an agent carrying them', async () => {
    await c.agent({ identity: 'g1', tags: ['gpu'], actors: [actor()] }).start();
    await c.agent({ identity: 'g2', tags: ['gpu'], actors: [actor()] }).start();
    const { m, t } = await setup({ agents: ['plain'] });
    await m.push('/svc/who', 'job', { tags: ['gpu'], selector: (cands) => cands.find((x) => x.identity === 'g1') ?? cands[0] });
    await flush();
    const sent = t.requests()[0]!;
    expect(sent.agent).toBe('g1');
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'g1');
    await flush();
    expect(t.requests().slice(1).map((r) => r.agent)).toEqual(['g2']);
  });

  test('a fan-out push that comes back from one agent is dropped and counted, not given to an agent that has its own copy', async () => {
    const { m, t } = await setup({ agents: ['a', 'b'] });
    await m.push('/svc/who', 'all of you', { selector: 'all' });
    await flush();
    expect(t.requests().map((r) => r.agent).sort()).toEqual(['a', 'b']);
    const toA = t.requests().find((r) => r.agent === 'a')!;
    t.mapperSink!.onUndeliverable(toA.packet as RequestPacket, 'a');
    await advance(300);
    expect(t.requests()).toHaveLength(2);
    expect(m.stats).toMatchObject({ redispatched: 0, undeliveredPushes: 1 });
    expect(c.logger.warnings().filter((w) => /fan-out push/.test(w))).toHaveLength(1);
  });

  test('a request in flight that comes back is re-sent to another agent; a second copy of the return is dropped', async () => {
    const { m, t } = await setup({ agents: ['a', 'b'] });
    const answer = m.call('/svc/gated', null, { target: undefined, selector: (cands) => cands.find((x) => x.identity === 'a') ?? cands[0] });
    await flush();
    const sent = t.requests()[0]!;
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    await flush();
    expect(t.requests().map((r) => r.agent)).toEqual(['a', 'b']);
    expect(m.stats).toMatchObject({ redispatched: 1, strayReturns: 1 });
    release();
    await expect(answer).resolves.toMatchObject({ agent: 'b', attempts: 2 });
  });

  test('returned pushes wait the failover window for an agent; with none they are dropped, counted, and logged once per burst', async () => {
    const { m, t, f } = await setup({ agents: [] });
    // An agent that registers and then never answers again (it does not hear the mapper's Advertise).
    f.broadcast({ v: 1, type: 'register', identity: 'evil', routes: [{ route: '/svc/who', idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 60_000 });
    await flush();
    for (let i = 0; i < 50; i++) await m.push('/svc/who', i);
    await flush();
    expect(t.requests().map((r) => r.agent)).toEqual(Array(50).fill('evil'));
    for (const r of t.requests()) t.mapperSink!.onUndeliverable(r.packet as RequestPacket, 'evil');
    await advance(1_900);
    expect(m.stats).toMatchObject({ undeliveredPushes: 0, strayReturns: 0, heldPushes: 50 });
    await advance(200);
    expect(t.requests()).toHaveLength(50);
    expect(m.stats).toMatchObject({ undeliveredPushes: 50, strayReturns: 0, redispatched: 0, heldPushes: 0 });
    expect(c.logger.warnings().filter((w) => /push could not be delivered/.test(w))).toHaveLength(1);
  });

  test('at most 10 000 returned pushes are held at once; past it a returned push is dropped and counted', async () => {
    const { m, t, f } = await setup({ agents: [] });
    // 'evil' registers and never answers again; 'ghost' has no link at all (the transport hands back what is sent to it).
    for (const [identity, route] of [['evil', '/svc/who'], ['ghost', '/svc/other']] as const) {
      f.broadcast({ v: 1, type: 'register', identity, routes: [{ route, idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 60_000 });
    }
    await flush();
    for (let i = 0; i < 10_000; i++) await m.push('/svc/who', i);
    await flush();
    for (const r of t.requests()) t.mapperSink!.onUndeliverable(r.packet as RequestPacket, 'evil');
    expect(m.stats).toMatchObject({ undeliveredPushes: 0, strayReturns: 0 });
    await m.push('/svc/other', 'one too many');
    await flush();
    expect(t.requests().at(-1)!.agent).toBe('ghost');
    expect(m.stats.undeliveredPushes).toBe(1);
    await advance(2_100, 500);
    expect(m.stats.undeliveredPushes).toBe(10_001);
  });

  test('with failoverWindow 0 a returned push with no other agent is dropped at once', async () => {
    const { m, t } = await setup({ agents: ['a'], failoverWindow: 0 });
    for (let i = 0; i < 5; i++) await m.push('/svc/who', i);
    await flush();
    for (const r of t.requests()) t.mapperSink!.onUndeliverable(r.packet as RequestPacket, 'a');
    await flush();
    expect(t.requests()).toHaveLength(5);
    expect(m.stats).toMatchObject({ undeliveredPushes: 5, redispatched: 0 });
  });

  test('a returned push held when the mapper closes is dropped and counted', async () => {
    const held = await setup({ agents: [] });
    held.f.broadcast({ v: 1, type: 'register', identity: 'evil', routes: [{ route: '/svc/who', idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 60_000 });
    await flush();
    await held.m.push('/svc/who', 'x');
    await flush();
    held.t.mapperSink!.onUndeliverable(held.t.requests()[0]!.packet as RequestPacket, 'evil');
    await flush();
    expect(held.m.stats.undeliveredPushes).toBe(0);
    await held.m.close();
    expect(held.m.stats.undeliveredPushes).toBe(1);
  });
});

test('the table of sent pushes is bounded by count and age', () => {
  const sent = new SentPushes(3, 1_000);
  const push = (id: number): PushCopy => ({ packet: { v: 1, type: 'push', id, route: '/r', payload: null, replyTo: 'm', timeout: 0, hops: 0 }, selector: new RandomSelector(), tags: [], target: undefined, options: undefined, leg: false });
  for (let id = 1; id <= 5; id++) sent.add('a', push(id), 0);
  expect(sent.size).toBe(3);
  expect(sent.take(1, 'a')).toBeUndefined();
  expect(sent.take(5, 'b')).toBeUndefined(); // sent to another agent
  expect(sent.take(5, 'a')).toMatchObject({ packet: { id: 5 } });
  expect(sent.take(5, 'a')).toBeUndefined(); // once
  sent.add('a', push(6), 2_000); // the others are too old now
  expect(sent.size).toBe(1);
});

