import { NaniteError, defineActor, type AgentLink, type AgentLinkOptions, type AgentSink, type MemoryTransport, type RequestContext, type Transport } from '../src';
import { TestCluster, closeCluster, deferred, flush } from './helpers';

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => closeCluster(c));

interface Seen { traceId: string; hops: number; deadline: number }

test('A calls B which calls C: results flow back; trace id, hops and deadline travel down', async () => {
  const seen: Record<string, Seen> = {};
  const note = (name: string, ctx: RequestContext) => (seen[name] = { traceId: ctx.traceId, hops: ctx.hops, deadline: ctx.deadline });
  await c.agent({ identity: 'agent-a', actors: [defineActor('a', { run: async (p: unknown, ctx: RequestContext) => { note('a', ctx); return `a(${await ctx.request<string>('/b/run', p)})`; } })] }).start();
  await c.agent({ identity: 'agent-b', actors: [defineActor('b', { run: async (p: unknown, ctx: RequestContext) => { note('b', ctx); return `b(${await ctx.request<string>('/c/run', p, { timeout: 60_000 })})`; } })] }).start();
  await c.agent({ identity: 'agent-c', actors: [defineActor('c', { run: (p: unknown, ctx: RequestContext) => { note('c', ctx); return `c(${String(p)})`; } })] }).start();
  const m = await c.startedMapper();
  const before = Date.now();
  await expect(m.request('/a/run', 'x', { timeout: 5_000 })).resolves.toBe('a(b(c(x)))');
  expect([seen.a!.hops, seen.b!.hops, seen.c!.hops]).toEqual([0, 1, 2]);
  expect(new Set([seen.a!.traceId, seen.b!.traceId, seen.c!.traceId]).size).toBe(1);
  // The outermost request carried no trace id: the chain's is a W3C trace id (32 hex digits), made up by the first agent.
  expect(seen.a!.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(seen.a!.traceId).not.toBe('0'.repeat(32));
  // Nested deadlines never outlive the outer one, even when a nested call asks for more (c asked for
  // 60 s). They travel as time remaining, like gRPC's grpc-timeout, so clock skew between hosts does
  // not matter; each hop's receiver counts from when it got the packet, hence the transit allowance.
  const transit = 25;
  expect(seen.a!.deadline).toBeLessThanOrEqual(before + 5_000 + transit);
  expect(seen.b!.deadline).toBeLessThanOrEqual(seen.a!.deadline + transit);
  expect(seen.c!.deadline).toBeLessThanOrEqual(seen.b!.deadline + transit);
});

test('a timeout on the outer call aborts B and C', async () => {
  const aborted: Record<string, unknown> = {};
  const bAborted = deferred();
  const cAborted = deferred();
  const waitAbort = (name: string, ctx: RequestContext, then?: () => void) =>
    new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => { aborted[name] = (ctx.signal.reason as NaniteError).code; then?.(); reject(ctx.signal.reason); }));
  await c.agent({ identity: 'agent-a', actors: [defineActor('a', { run: (_p: unknown, ctx: RequestContext) => ctx.request('/b/run') })] }).start();
  await c.agent({ identity: 'agent-b', actors: [defineActor('b', {
    // B keeps running until its own signal fires, whatever becomes of its call to C.
    run: (_p: unknown, ctx: RequestContext) => { ctx.request('/c/run').catch(() => undefined); return waitAbort('b', ctx, bAborted.resolve); },
  })] }).start();
  await c.agent({ identity: 'agent-c', actors: [defineActor('c', { run: (_p: unknown, ctx: RequestContext) => waitAbort('c', ctx, cAborted.resolve) })] }).start();
  const m = await c.startedMapper();
  // Long enough for B's call to reach C on a loaded machine: a nested call whose deadline is already
  // gone is never sent (C would then have nothing to abort).
  await expect(m.request('/a/run', null, { timeout: 1_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  // Each hop's deadline timer fires on its own (C's is never later than B's): wait for both.
  await Promise.all([bAborted.promise, cAborted.promise]);
  expect(aborted).toEqual({ b: expect.stringMatching(/NANITE_ERR_(TIMEOUT|ABORTED)/), c: expect.stringMatching(/NANITE_ERR_(TIMEOUT|ABORTED)/) });
});

test('cancelling the outer request aborts the nested ones', async () => {
  const cAborted = deferred<unknown>();
  const started = deferred();
  await c.agent({ identity: 'agent-a', actors: [defineActor('a', { run: (_p: unknown, ctx: RequestContext) => ctx.request('/b/run') })] }).start();
  await c.agent({ identity: 'agent-b', actors: [defineActor('b', { run: (_p: unknown, ctx: RequestContext) => ctx.request('/c/run') })] }).start();
  await c.agent({ identity: 'agent-c', actors: [defineActor('c', {
    run: (_p: unknown, ctx: RequestContext) => new Promise((_r, reject) => {
      started.resolve();
      ctx.signal.addEventListener('abort', () => { cAborted.resolve(ctx.signal.reason); reject(ctx.signal.reason); });
    }),
  })] }).start();
  const m = await c.startedMapper();
  const ac = new AbortController();
  const outer = m.request('/a/run', null, { signal: ac.signal, timeout: 10_000 });
  await started.promise;
  ac.abort();
  await expect(outer).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  await expect(cAborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
});

test('an error in C reaches the outer caller with its code', async () => {
  await c.agent({ identity: 'agent-a', actors: [defineActor('a', { run: (p: unknown, ctx: RequestContext) => ctx.request('/b/run', p) })] }).start();
  await c.agent({ identity: 'agent-b', actors: [defineActor('b', { run: (p: unknown, ctx: RequestContext) => ctx.request('/c/run', p) })] }).start();
  await c.agent({ identity: 'agent-c', actors: [defineActor('c', {
    run: (p: unknown) => {
      if (p === 'invalid') throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'name is required', data: [{ field: 'name' }] });
      const e = new Error('disk full') as Error & { code: string };
      e.code = 'ENOSPC';
      throw e;
    },
  })] }).start();
  const m = await c.startedMapper();
  await expect(m.request('/a/run', 'invalid')).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'name is required', data: [{ field: 'name' }] });
  await expect(m.request('/a/run', 'other')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'disk full', data: { code: 'ENOSPC' } });
});

test('an A→B→A cycle stops at the hop limit with NANITE_ERR_HOP_LIMIT', async () => {
  let calls = 0;
  const ping = (to: string) => (_p: unknown, ctx: RequestContext) => { calls++; return ctx.request(to); };
  await c.agent({ identity: 'agent-a', mapper: { maxHops: 4 }, actors: [defineActor('a', { run: ping('/b/run') })] }).start();
  await c.agent({ identity: 'agent-b', mapper: { maxHops: 4 }, actors: [defineActor('b', { run: ping('/a/run') })] }).start();
  const m = await c.startedMapper();
  const err = await m.request('/a/run').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'NANITE_ERR_HOP_LIMIT', data: { hops: 5, maxHops: 4 } });
  expect(calls).toBe(5);
});

test('push from a handler carries the trace id', async () => {
  const got = deferred<string>();
  await c.agent({ identity: 'agent-a', actors: [defineActor('a', { run: async (_p: unknown, ctx: RequestContext) => { await ctx.push('/log/write', 'hi'); return ctx.traceId; } })] }).start();
  await c.agent({ identity: 'agent-l', actors: [defineActor('log', { write: (_p: unknown, ctx: RequestContext) => got.resolve(ctx.traceId) })] }).start();
  const m = await c.startedMapper();
  const trace = await m.request('/a/run', null, { traceId: 'trace-123' });
  expect(trace).toBe('trace-123');
  await expect(got.promise).resolves.toBe('trace-123');
  await flush();
});

/** The agent's link takes `ms` to close (as a broker connection may): the agent stays draining meanwhile. */
class SlowClose implements Transport {
  /** Mapper links opened (the agent's light mapper for nested calls opens one). */
  mappersOpened = 0;
  /** Resolves when the agent begins to close its link (after its drain and its light mapper's close). */
  readonly closing = deferred();
  constructor(private readonly inner: MemoryTransport, private readonly ms: number) {}
  get url(): string { return this.inner.url; }
  connect(): Promise<void> { return this.inner.connect(); }
  close(): Promise<void> { return this.inner.close(); }
  openMapper: Transport['openMapper'] = (id, sink) => {
    this.mappersOpened++;
    return this.inner.openMapper(id, sink);
  };
  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    const link = await this.inner.openAgent(identity, sink, options);
    return { ...link, broadcast: (p) => link.broadcast(p), reply: (m, p) => link.reply(m, p), pause: () => link.pause(), close: async () => { this.closing.resolve(); await new Promise((r) => setTimeout(r, this.ms)); await link.close(); } };
  }
}

test('a handler that outlives the drain and then calls out fails with NANITE_ERR_SHUTTING_DOWN; no light mapper is started after stop', async () => {
  let outcome = 'none';
  const running = deferred();
  const called = deferred();
  const transport = c.transport();
  const slow = new SlowClose(transport, 150);
  const a = c.agent({
    identity: 'a',
    drainTimeout: 20,
    actors: [defineActor('n', {
      late: async (_p: unknown, ctx: RequestContext) => {
        running.resolve();
        await slow.closing.promise; // ignores its abort, and calls out after the drain gave up on it
        try {
          await ctx.request('/n/other', null, { timeout: 200 });
          outcome = 'sent';
        } catch (e) {
          outcome = (e as NaniteError).code;
        }
        called.resolve();
      },
      other: () => 1,
    })],
  }, slow as unknown as MemoryTransport);
  await a.start();
  const m = await c.startedMapper();
  void m.request('/n/late', null, { timeout: 1_000 }).catch(() => undefined);
  await running.promise;
  const stopping = a.stop();
  await called.promise;
  await stopping;
  await transport.close();
  expect(outcome).toBe('NANITE_ERR_SHUTTING_DOWN');
  expect(slow.mappersOpened).toBe(0); // before: a light mapper started then, and nobody closed it
});

