/**
 * memory://'s in-process fast path (src/transport/memory/local-calls.ts): a mapper and an agent on
 * the same bus call each other without the bus, and nothing else a user relies on changes.
 */
import { Agent, Mapper, MemoryTransport, NaniteError, defineActor, type AgentBoundPacket, type AgentLink, type Observer, type ReplyPacket, type RequestContext, type SendOptions, type Transport } from '../src';
import { decodePacket } from '../src/protocol/decode';
import { MemoryBus } from '../src/transport/memory/memory-bus';
import { TestCluster, flush } from './helpers';

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => c.close());

/** A transport on the test's bus without the fast path: its agents behave as if in another process. */
const remote = (): MemoryTransport => new MemoryTransport({ name: c.name, registry: c.registry, local: false });

/** A gate a handler waits on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const who = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });

test('an agent on the mapper\'s bus runs the request inside request() and the transport counts it; local=off keeps the bus', async () => {
  let ran = 0;
  const near = c.transport();
  await c.agent({ identity: 'near', actors: [defineActor('n', { run: () => ++ran })] }, near).start();
  await c.agent({ identity: 'far', actors: [defineActor('f', { run: () => ++ran })] }, remote()).start();
  const m = await c.startedMapper();
  const local = m.request('/n/run');
  expect(ran).toBe(1); // the handler already ran, as a function call would
  await expect(local).resolves.toBe(1);
  expect(near.localCalls).toBe(1);
  const viaBus = m.request('/f/run');
  expect(ran).toBe(1); // delivered on a later microtask, as over a network
  await expect(viaBus).resolves.toBe(2);
  expect(MemoryTransport.fromUrl(new URL('memory://x?local=off')).url).toBe('memory://x?local=off');
  expect(() => MemoryTransport.fromUrl(new URL('memory://x?local=maybe'))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
});

test('least_loaded still chooses among local and other agents; target reaches either', async () => {
  let nearStatus = 5;
  const near = c.transport();
  await c.agent({ identity: 'near', actors: [who()], status: () => nearStatus }, near).start();
  await c.agent({ identity: 'far', actors: [who()], status: () => 5 - nearStatus }, remote()).start();
  const m = await c.startedMapper();
  // The local agent is busier: the other one is chosen, over the bus.
  for (let i = 0; i < 3; i++) await expect(m.request('/svc/who')).resolves.toBe('far');
  expect(near.localCalls).toBe(0);
  nearStatus = 0;
  // Statuses travel with every result: one targeted request each and the mapper knows.
  await m.request('/svc/who', null, { target: 'near' });
  await m.request('/svc/who', null, { target: 'far' });
  for (let i = 0; i < 3; i++) await expect(m.request('/svc/who')).resolves.toBe('near');
  expect(near.localCalls).toBe(4);
});

test('a synchronous in-process answer samples no response time (its status still counts); an awaited one does', async () => {
  const near = c.transport();
  await c.agent({ identity: 'near', actors: [defineActor('r', { now: () => 1, later: async () => { await new Promise((r) => setTimeout(r, 20)); return 2; } })], status: () => 0.25 }, near).start();
  const m = await c.startedMapper();
  await m.request('/r/now');
  expect(m.agents()[0]).toMatchObject({ identity: 'near', latency: 0, status: 0.25 });
  await m.request('/r/later');
  expect(m.agents()[0]!.latency).toBeGreaterThanOrEqual(15);
  expect(near.localCalls).toBe(2);
});

test('deadlines, cancellation, overload and unencodable values give the same codes through the fast path', async () => {
  const hold = gate();
  const aborted: string[] = [];
  const waitForAbort = (_p: unknown, ctx: RequestContext) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => {
    aborted.push((ctx.signal.reason as NaniteError).code);
    reject(ctx.signal.reason);
  }));
  const near = c.transport();
  await c.agent({
    identity: 'near',
    concurrency: 1,
    maxQueued: 0,
    actors: [defineActor('t', { hang: waitForAbort, hold: () => hold.wait.then(() => 'held'), big: () => 10n })],
  }, near).start();
  const m = await c.startedMapper();

  await expect(m.request('/t/hang', null, { timeout: 50 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  await until(() => aborted.length === 1);
  expect(aborted).toEqual(['NANITE_ERR_TIMEOUT']); // the handler was told too (the agent's own deadline)

  const ac = new AbortController();
  const cancelled = m.request('/t/hang', null, { signal: ac.signal });
  ac.abort();
  await expect(cancelled).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  await until(() => aborted.length === 2);
  expect(aborted[1]).toBe('NANITE_ERR_ABORTED');

  const held = m.request('/t/hold');
  await expect(m.request('/t/hold')).rejects.toMatchObject({ code: 'NANITE_ERR_OVERLOADED', data: { agent: 'near', notStarted: true } });
  hold.open();
  await expect(held).resolves.toBe('held');

  await expect(m.request('/t/big')).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/BigInt/) });
  await expect(m.request('/t/hold', { n: 1n })).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
  expect(near.localCalls).toBe(5); // all but the unencodable payload, refused before it left the mapper
});

test('nested calls go through the fast path with the remaining deadline', async () => {
  const near = c.transport();
  await c.agent({
    identity: 'outer',
    actors: [defineActor('a', { run: (_p: unknown, ctx: RequestContext) => ctx.request<number>('/b/left') })],
  }, near).start();
  await c.agent({ identity: 'inner', actors: [defineActor('b', { left: (_p: unknown, ctx: RequestContext) => ctx.deadline - Date.now() })] }, near).start();
  const m = await c.startedMapper();
  const left = await m.request<number>('/a/run', null, { timeout: 400 });
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThanOrEqual(400);
  expect(near.localCalls).toBe(2);
});

test('observers still see every request on both sides', async () => {
  const events: string[] = [];
  const observer: Observer = {
    observeMapper: () => ({ begin: (s) => { events.push(`begin ${s.route}`); return { end: (e) => events.push(`end ${e?.code ?? 'ok'}`) }; }, close: () => undefined }),
    observeAgent: () => ({ begin: (s) => { events.push(`handle ${s.route}`); return { end: (e) => events.push(`handled ${e?.code ?? 'ok'}`) }; }, close: () => undefined }),
  };
  const near = c.transport();
  await c.agent({ identity: 'near', observers: [observer], actors: [defineActor('o', { ok: () => 1, bad: () => { throw new Error('no'); } })] }, near).start();
  const m = await c.startedMapper({ observers: [observer] });
  await m.request('/o/ok');
  await expect(m.request('/o/bad')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
  expect(near.localCalls).toBe(2);
  expect(events.sort()).toEqual(['begin /o/bad', 'begin /o/ok', 'end NANITE_ERR_HANDLER', 'end ok', 'handle /o/bad', 'handle /o/ok', 'handled NANITE_ERR_HANDLER', 'handled ok']);
});

test('a draining agent finishes its local work and takes no more; a closing mapper waits for its local requests', async () => {
  const hold = gate();
  const near = c.transport();
  const a = c.agent({ identity: 'near', actors: [defineActor('d', { hold: () => hold.wait.then(() => 'done'), who: (_p: unknown, ctx: RequestContext) => ctx.agent })] }, near);
  await a.start();
  const other = c.agent({ identity: 'other', actors: [defineActor('d', { who: (_p: unknown, ctx: RequestContext) => ctx.agent })] }, remote());
  await other.start();
  const m = await c.startedMapper();
  const inFlight = m.request('/d/hold');
  const stopping = a.stop();
  await flush();
  // Paused: the next request is not handed to it, it goes to the other agent.
  await expect(m.request('/d/who')).resolves.toBe('other');
  const closing = m.close();
  hold.open();
  await expect(inFlight).resolves.toBe('done');
  await closing;
  await stopping;
  expect(near.localCalls).toBe(1);
  await expect(m.request('/d/who')).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
});

test('a request the raw transport API hands over is still validated on the fast path', async () => {
  const near = c.transport();
  const agent = c.agent({ identity: 'near', actors: [defineActor('t', { ok: () => 1 })] }, near);
  await agent.start();
  const raw = c.transport();
  await raw.connect();
  const link = await raw.openMapper('raw', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
  link.send('near', { v: 1, type: 'request', id: -1, route: '/t/ok', payload: null, replyTo: 'raw', timeout: 0, hops: 0 });
  expect(agent.stats.malformed).toBe(1);
  expect(near.localCalls).toBe(0);
  await raw.close();
});

test('a reply the raw agent link API hands over is still validated on the fast path', async () => {
  const raw = c.transport();
  await raw.connect();
  const link = await raw.openAgent('raw-agent', { onPacket: (_p, settle) => settle(), onLocalRequest: (_p, settle) => settle(), onMalformed: () => undefined }, { prefetch: 1 });
  const m = await c.startedMapper();
  link.reply(m.identity, { v: 1, type: 'result', id: -1, from: 'raw-agent', ok: true, result: 1 });
  link.reply(m.identity, { v: 1, type: 'result', id: 1, from: '', ok: true, result: 1 });
  expect(m.stats.malformed).toBe(2);
  await link.close();
  await raw.close();
});

test('the packets handed over unvalidated are those Nanite built, and they would pass validation', async () => {
  // Spies on the bus: what the dispatcher and the replier hand over through their own entry (own-link.ts).
  const toAgent = jest.spyOn(MemoryBus.prototype, 'toAgent');
  const toMapper = jest.spyOn(MemoryBus.prototype, 'toMapper');
  const resultToMapper = jest.spyOn(MemoryBus.prototype, 'resultToMapper');
  try {
    const near = c.transport();
    await c.agent({ identity: 'near', actors: [defineActor('t', { echo: (p: unknown) => p, fail: () => { throw new NaniteError('NANITE_ERR_HANDLER', { message: 'no', data: { a: 1 } }); } })] }, near).start();
    const m = await c.startedMapper();
    await m.request('/t/echo', { a: 1 });
    await m.request('/t/echo', [1, 'x'], { hops: 2, traceId: 't-1', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, timeout: 1_000, deadline: Date.now() + 500, tags: [], target: 'near' });
    await m.call('/t/echo', 'x', { timeout: 0 });
    await expect(m.request('/t/fail')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
    // Results go as their parts (no packet built): the packet they stand for must pass validation too.
    const results = resultToMapper.mock.calls.map(([, from, id, result, status]) => ({ v: 1, type: 'result', id, from, ok: true, result, status }));
    const own = [...toAgent.mock.calls.filter((call) => call[5] === true).map((call) => call[2]), ...results];
    expect(own.length).toBe(4 + 3); // four requests, three results (the error reply goes the public way)
    expect(toMapper.mock.calls.filter((call) => call[1].type === 'result' && call[1].ok)).toEqual([]);
    for (const packet of own) expect(decodePacket(packet)).toMatchObject({ ok: true });
    expect(near.localCalls).toBe(4);
  } finally {
    toAgent.mockRestore();
    toMapper.mockRestore();
    resultToMapper.mockRestore();
  }
});

test('a wrapped link (spread, derived or a Proxy) is never bypassed by the own entries', async () => {
  const inner = c.transport();
  const sent: string[] = [];
  const replied: string[] = [];
  const t: Transport = {
    url: inner.url,
    connect: () => inner.connect(),
    close: () => inner.close(),
    // A Proxy forwards every property, the own entry's symbol too: that entry must refuse to serve it.
    openMapper: async (id, sink) => {
      const link = await inner.openMapper(id, sink);
      return new Proxy(link, { get: (target, key) => (key === 'send' ? (agent: string, packet: AgentBoundPacket, o?: SendOptions) => { sent.push(packet.type); target.send(agent, packet, o); } : Reflect.get(target, key) as unknown) });
    },
    // Derived from the link (its prototype): the own entry is inherited, and must refuse too.
    openAgent: async (identity, sink, options) => {
      const link = await inner.openAgent(identity, sink, options);
      return Object.assign(Object.create(link) as AgentLink, { reply: (mapper: string, packet: ReplyPacket) => { replied.push(packet.type); link.reply(mapper, packet); } });
    },
  };
  const a = new Agent({ transport: t, identity: 'a', logger: c.logger, actors: [defineActor('x', { y: (n: unknown) => n })] });
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0 });
  try {
    await a.start();
    await m.start();
    await m.waitForAgents({ route: '/x/y' });
    sent.length = 0;
    await expect(m.request('/x/y', 1)).resolves.toBe(1);
    expect(sent).toEqual(['request']);
    expect(replied).toEqual(['result']);
    expect(inner.localCalls).toBe(1); // still the fast path, through the wrappers' own methods
  } finally {
    await m.close();
    await a.stop();
  }
});

test('what would be a malformed packet is refused at intake, on every transport', async () => {
  await c.agent({ identity: 'near', actors: [defineActor('t', { ok: () => 1 })] }).start();
  const m = await c.startedMapper();
  for (const hops of [-1, 1.5, Number.NaN]) await expect(m.request('/t/ok', null, { hops })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  await expect(m.request('/t/ok', null, { traceId: 5 as unknown as string })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  await expect(m.request('/t/ok', null, { hops: 3 })).resolves.toBe(1);
});

test.each([['the fast path', true], ['the bus (local=off)', false]])('an unencodable flat payload or result is NANITE_ERR_PAYLOAD at once through %s', async (_name, local) => {
  const t = local ? c.transport() : remote();
  await c.agent({ identity: 'a', actors: [defineActor('t', { echo: (p: unknown) => p, bad: () => ({ a: 1, f: () => 1 }), badList: () => [1, 2n] })] }, t).start();
  const m = await c.startedMapper();
  await expect(m.request('/t/echo', { a: 1, b: 2n })).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/BigInt at \$\.b/) });
  await expect(m.request('/t/echo', [Symbol('s')])).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
  await expect(m.request('/t/bad')).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/function at \$\.f/) });
  await expect(m.request('/t/badList')).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/BigInt at \$\[1\]/) });
  await expect(m.request('/t/echo', { a: 1, b: 'two' })).resolves.toEqual({ a: 1, b: 'two' });
});

async function until(check: () => boolean, timeout = 5_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the clock on the fast path', () => {
  const clocked = () => defineActor('k', {
    now: () => 1,
    throws: () => {
      throw new NaniteError('NANITE_ERR_HANDLER', { message: 'no' });
    },
    later: async () => {
      await new Promise((r) => setTimeout(r, 1));
      return 2;
    },
    hang: (_p: unknown, ctx: RequestContext) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    id: (_p: unknown, ctx: RequestContext) => ctx.requestId,
  });

  /** Calls of Date.now() made while `fn` runs synchronously. */
  function clockReads(fn: () => void): number {
    const spy = jest.spyOn(Date, 'now');
    try {
      fn();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  }

  test('a request answered during its send reads no clock; one whose handler goes asynchronous reads it once for both sides', async () => {
    await c.agent({ identity: 'near', actors: [clocked()] }, c.transport()).start();
    const m = await c.startedMapper({ timeout: 5_000 });
    let answer: Promise<unknown> | undefined;
    expect(clockReads(() => (answer = m.request('/k/now')))).toBe(0);
    await expect(answer).resolves.toBe(1);
    expect(clockReads(() => (answer = m.request('/k/throws')))).toBe(0);
    await expect(answer).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'no' });
    expect(clockReads(() => (answer = m.request('/k/later')))).toBe(1);
    await expect(answer).resolves.toBe(2);
    // An absolute deadline is measured against the clock at once, as over a wire.
    const deadline = Date.now() + 1_000;
    expect(clockReads(() => (answer = m.request('/k/now', null, { deadline })))).toBe(1);
    await expect(answer).resolves.toBe(1);
  });

  test('an asynchronous handler still times out, on both sides, and is still cancellable', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate', 'performance'] });
    try {
      await c.agent({ identity: 'near', actors: [clocked()] }, c.transport()).start();
      const m = await c.startedMapper();
      const outcome = m.request('/k/hang', null, { timeout: 100 }).catch((err: NaniteError) => err);
      let settled = false;
      void outcome.then(() => (settled = true));
      await jest.advanceTimersByTimeAsync(99);
      expect(settled).toBe(false);
      await jest.advanceTimersByTimeAsync(2);
      await expect(outcome).resolves.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
      expect(m.stats.pending).toBe(0);

      const ac = new AbortController();
      const cancelled = m.request('/k/hang', null, { signal: ac.signal, timeout: 0 });
      ac.abort();
      await expect(cancelled).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    } finally {
      jest.useRealTimers();
    }
  });

  test('memory:// numbers requests with a counter (nothing leaves the process); wire links keep random ids', async () => {
    await c.agent({ identity: 'near', actors: [clocked()] }, c.transport()).start();
    const m = await c.startedMapper();
    const ids = [await m.request<string>('/k/id'), await m.request<string>('/k/id')].map((r) => Number(r.split('#')[1]));
    expect(ids[1]).toBe(ids[0]! + 1);
  });
});
