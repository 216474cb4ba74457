// Issue #10 where the wire matters: the same cases on memory:// and amqp://, which must agree.
// What cannot cross the wire is an error at once (never a caller's timeout), an unknown error code
// from a newer peer is not a malformed packet, and the handler's deadline counts time queued at the
// broker. (Dropping what expired at the broker is the broker's per-message expiration; dropping what
// expired in the agent's own queue is covered on memory:// in agent-hardening.spec.ts.)
import { Agent, Mapper, createTransport, defineActor, type RequestContext, type RequestPacket, type ResultPacket, type Transport } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const deep = (n: number): unknown => { let v: unknown = 0; for (let i = 0; i < n; i++) v = { v }; return v; };

let memoryN = 0;
describe.each(['memory', 'amqp'] as const)('over %s://', (kind) => {
  let url: string;
  let prefix: string;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(() => {
    prefix = uniquePrefix('agentwire');
    url = kind === 'amqp' ? `${AMQP_URL}?prefix=${prefix}` : `memory://agent-wire-${++memoryN}`;
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    if (kind === 'amqp') await removeTopology([prefix]);
  });

  async function cluster(actors: Record<string, ReturnType<typeof defineActor>>, concurrency = 8): Promise<{ agent: Agent; mapper: Mapper }> {
    const agent = new Agent({ transport: url, identity: 'wire-agent', actors: Object.values(actors), logger: quiet, concurrency, pingInterval: 500 });
    await agent.start();
    closers.push(() => agent.stop());
    const mapper = new Mapper({ transport: url, logger: quiet });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ count: 1, timeout: 5_000 });
    return { agent, mapper };
  }

  async function transport(): Promise<Transport> {
    const t = createTransport(url, { logger: quiet });
    await t.connect();
    closers.push(() => t.close());
    return t;
  }

  /** The time `p` takes to reject, and its error. */
  async function rejection(p: Promise<unknown>): Promise<{ ms: number; err: unknown }> {
    const t0 = Date.now();
    const err = await p.then(() => undefined, (e: unknown) => e);
    return { ms: Date.now() - t0, err };
  }

  test.each([
    ['a BigInt', () => ({ n: 1n }), 'The result cannot cross the wire: a BigInt at $.n'],
    ['a cyclic object', () => { const o: Record<string, unknown> = {}; o.self = o; return o; }, 'The result cannot cross the wire: a cyclic reference at $.self'],
    ['a function inside', () => ({ f: () => 1 }), 'The result cannot cross the wire: a function at $.f'],
  ])('a handler returning %s: NANITE_ERR_PAYLOAD at once, counted as a failure', async (_what, make, message) => {
    const { agent, mapper } = await cluster({ r: defineActor('r', { bad: () => make(), good: () => 'ok' }) });
    const { ms, err } = await rejection(mapper.request('/r/bad', null, { timeout: 30_000 }));
    expect(err).toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message });
    expect(ms).toBeLessThan(2_000);
    expect(agent.stats).toMatchObject({ handled: 1, failed: 1 });
    await expect(mapper.request('/r/good')).resolves.toBe('ok');
  });

  test('a progress value that cannot cross: NANITE_ERR_PAYLOAD at once', async () => {
    const { mapper } = await cluster({ p: defineActor('p', { run: async (_p: unknown, ctx: RequestContext) => { ctx.progress('bad', 2n); await new Promise((r) => setTimeout(r, 500)); return 'late'; } }) });
    const { ms, err } = await rejection(mapper.request('/p/run', null, { timeout: 30_000 }));
    expect(err).toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: 'The progress value "bad" cannot cross the wire: a BigInt' });
    expect(ms).toBeLessThan(2_000);
  });

  test('a handler throwing a symbol: NANITE_ERR_HANDLER with a readable message', async () => {
    const { mapper } = await cluster({ t: defineActor('t', { sym: () => { throw Symbol('why'); } }) });
    await expect(mapper.request('/t/sym')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'The handler threw a non-Error value: Symbol(why)', data: { type: 'symbol' } });
  });

  test('a too deep or BigInt request payload: NANITE_ERR_PAYLOAD to the caller at once, never a transport error', async () => {
    const ran = jest.fn();
    const { mapper } = await cluster({ x: defineActor('x', { y: ran }) });
    for (const payload of [deep(20_000), { n: 5n }]) {
      const { ms, err } = await rejection(mapper.request('/x/y', payload, { timeout: 30_000 }));
      expect(err).toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringMatching(/^The payload of \/x\/y cannot cross the wire: /) });
      expect(ms).toBeLessThan(1_000);
    }
    await expect(mapper.push('/x/y', deep(20_000))).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    expect(ran).not.toHaveBeenCalled();
    // The link is still healthy.
    await expect(mapper.request('/x/y', 1)).resolves.toBeUndefined();
  });

  test('an unknown error code from a newer agent arrives as NANITE_ERR_HANDLER with data.remoteCode', async () => {
    const t = await transport();
    const link = await t.openAgent('future-agent', {
      onPacket: (p, settle) => {
        const r = p as RequestPacket;
        if (r.type === 'request') link.reply(r.replyTo, { v: 1, type: 'result', id: r.id, from: 'future-agent', ok: false, error: { code: 'NANITE_ERR_NEWER' as never, message: 'from the future', retryable: false } });
        settle();
      },
      onMalformed: () => undefined,
    }, { prefetch: 1 });
    closers.push(() => link.close());
    const mapper = new Mapper({ transport: url, logger: quiet });
    await mapper.start();
    closers.push(() => mapper.close());
    link.broadcast({ v: 1, type: 'register', identity: 'future-agent', routes: [{ route: '/f/x', idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 1_000 });
    await mapper.waitForAgents({ route: '/f/x', timeout: 5_000 });
    const { ms, err } = await rejection(mapper.request('/f/x', null, { timeout: 30_000 }));
    expect(err).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'from the future', retryable: false, data: { remoteCode: 'NANITE_ERR_NEWER' } });
    expect(ms).toBeLessThan(2_000);
    expect(mapper.stats.malformed).toBe(0);
  });

  test('the handler\'s deadline counts the time since sentAt when plausible, and ignores a skewed sender clock', async () => {
    await cluster({ q: defineActor('q', { deadline: (_p: unknown, ctx: RequestContext) => ctx.deadline }) });
    const t = await transport();
    const results: ResultPacket[] = [];
    const link = await t.openMapper(`raw-${prefix}`, {
      onPacket: (p) => { if ((p as { type?: string }).type === 'result') results.push(p as ResultPacket); },
      onMalformed: () => undefined,
      onUndeliverable: () => undefined,
    });
    closers.push(() => link.close());
    const base = { v: 1 as const, type: 'request' as const, route: '/q/deadline', payload: null, replyTo: `raw-${prefix}`, hops: 0, timeout: 10_000 };
    const sentAt = Date.now() - 4_000;
    link.send('wire-agent', { ...base, id: 1, sentAt });
    // A sender clock an hour behind (a gap past the timeout, which the broker's expiration would have dropped): ignored.
    const before = Date.now();
    link.send('wire-agent', { ...base, id: 2, sentAt: before - 3_600_000 });
    const until = Date.now() + 5_000;
    while (results.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    results.sort((x, y) => x.id - y.id);
    expect(results[0]).toMatchObject({ id: 1, ok: true, result: sentAt + 10_000 });
    expect(results[1]).toMatchObject({ id: 2, ok: true });
    expect(results[1]!.result).toBeGreaterThanOrEqual(before + 10_000);
    expect(results[1]!.result).toBeLessThan(before + 12_000);
  });
});
