// Observability on memory://: queue wait in the agent, bounded route labels, malformed packets by
// kind, W3C trace ids without any tracer, traceparent validation, and no hook without observers.
import { Mapper, defineActor, decodePacket, formatTraceParent, isTraceParent, malformedKind, NaniteError, openTelemetryTracing, parseTraceParent, prometheusMetrics, type Observer, type RequestContext, type RequestPacket, type RequestStart } from '../src';
import { closeCluster, TestCluster } from './helpers';
import { ObservedTransport } from './observed-transport';
import { guardAgentObservation } from '../src/observability/guarded-observation';
import { sample, samples } from './metrics-text';

let c: TestCluster;
beforeEach(() => (c = new TestCluster()));
afterEach(() => closeCluster(c));

test('a request that waited for a free slot shows in the queue-wait histogram; in-flight and queued gauges at scrape time', async () => {
  const metrics = prometheusMetrics();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await c.agent({ identity: 'solo', concurrency: 1, observers: [metrics], actors: [defineActor('w', { slow: async () => { await gate; return 1; } })] }).start();
  const m = await c.startedMapper({ observers: [metrics] });
  const calls = [m.request('/w/slow'), m.request('/w/slow')];
  await until(async () => sample(await metrics.metrics(), 'nanite_agent_queued', { agent: 'solo' }) === 1);
  expect(sample(await metrics.metrics(), 'nanite_agent_in_flight', { agent: 'solo' })).toBe(1);
  await new Promise((r) => setTimeout(r, 30));
  release();
  await Promise.all(calls);
  const text = await metrics.metrics();
  expect(sample(text, 'nanite_agent_queue_wait_seconds_count', { route: '/w/slow' })).toBe(2);
  // The second one waited at least the 30 ms the first held the only slot.
  expect(sample(text, 'nanite_agent_queue_wait_seconds_sum', { route: '/w/slow' })).toBeGreaterThanOrEqual(0.025);
});

test('error codes a handler makes up count as NANITE_ERR_HANDLER on the agent, as its caller sees them: the code label stays bounded', async () => {
  const metrics = prometheusMetrics();
  let n = 0;
  await c.agent({ identity: 'a', observers: [metrics], actors: [defineActor('w', { made: () => { throw new NaniteError(`E_MADE_UP_${n++}` as never, { message: 'x', retryable: false }); } })] }).start();
  const m = await c.startedMapper({ observers: [metrics] });
  for (let i = 0; i < 20; i++) await expect(m.request('/w/made')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
  const text = await metrics.metrics();
  expect(samples(text, 'nanite_agent_requests_total').filter((s) => s.labels.route === '/w/made')).toEqual([expect.objectContaining({ labels: expect.objectContaining({ code: 'NANITE_ERR_HANDLER' }), value: 20 })]);
  expect(samples(text, 'nanite_mapper_requests_total').filter((s) => s.labels.route === '/w/made')).toHaveLength(1);
});

test('with an observer, a route that is not a string (even one whose toString throws) is refused like without one: a rejection, not a synchronous throw', async () => {
  const m = await c.startedMapper({ observers: [prometheusMetrics()] });
  const odd = Object.create(null) as never;
  let p: Promise<unknown> | undefined;
  expect(() => { p = m.request(odd); }).not.toThrow();
  await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  let q: Promise<unknown> | undefined;
  expect(() => { q = m.push(odd); }).not.toThrow();
  await expect(q).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
});

test('prometheusMetrics options are checked: buckets out of order (they filled the wrong buckets), not finite, or empty, and bounds that are not counts, are refused', () => {
  for (const bad of [{ buckets: [1, 0.5] }, { buckets: [] }, { buckets: [0.1, Infinity] }, { buckets: [0, 1] }, { buckets: 'x' }, { maxRoutes: 0 }, { maxRoutes: 1.5 }, { maxAgents: -1 }]) {
    expect(() => prometheusMetrics(bad as never)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  }
  expect(() => prometheusMetrics({ buckets: [0.01, 0.1, 1], maxRoutes: 10, maxAgents: 10 })).not.toThrow();
});

test('routes beyond maxRoutes are counted under "other"', async () => {
  const metrics = prometheusMetrics({ maxRoutes: 2 });
  const m = await c.startedMapper({ observers: [metrics], discoveryWindow: 0 });
  for (const route of ['/a/x', '/b/x', '/c/x', '/d/x']) await expect(m.request(route)).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  const routes = samples(await metrics.metrics(), 'nanite_mapper_requests_total').map((s) => [s.labels.route, s.value]);
  expect(routes).toEqual([['/a/x', 1], ['/b/x', 1], ['other', 2]]);
});

test('a push its agent handed back shows in the held-pushes gauge until an agent takes it', async () => {
  const metrics = prometheusMetrics();
  const ran: string[] = [];
  await c.agent({ identity: 'a', actors: [defineActor('jobs', { run: (p: string) => void ran.push(p) })] }).start();
  const t = new ObservedTransport(c.transport());
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0, failoverWindow: 60_000, observers: [metrics] });
  await m.start();
  try {
    await until(async () => m.agents().length === 1);
    await m.push('/jobs/run', 'y', { target: 'a' });
    await until(async () => ran.length === 1);
    expect(sample(await metrics.metrics(), 'nanite_mapper_held_pushes', { mapper: m.identity })).toBe(0);
    // 'a' hands it back (as a draining agent does); nobody else may take a push for 'a': it waits.
    const sent = t.requests().find((r) => r.packet.payload === 'y')!;
    t.mapperSink!.onUndeliverable(sent.packet as RequestPacket, 'a');
    expect(m.stats.heldPushes).toBe(1);
    expect(sample(await metrics.metrics(), 'nanite_mapper_held_pushes', { mapper: m.identity })).toBe(1);
    // Out of dispatch, 'a' is asked to register again, does, and gets it.
    await until(async () => ran.length === 2);
    expect(sample(await metrics.metrics(), 'nanite_mapper_held_pushes', { mapper: m.identity })).toBe(0);
    expect(m.stats).toMatchObject({ heldPushes: 0, redispatched: 1, undeliveredPushes: 0 });
  } finally {
    await m.close();
  }
});

test('malformed packets are counted by kind', async () => {
  const metrics = prometheusMetrics();
  await c.agent({ identity: 'target', observers: [metrics], actors: [defineActor('t', { ok: () => 1 })] }).start();
  const transport = c.transport();
  await transport.connect();
  const raw = await transport.openMapper('forger', { onPacket() {}, onMalformed() {}, onUndeliverable() {} });
  raw.send('target', { v: 1, type: 'request', id: -1, route: '/t/ok', payload: null, replyTo: 'forger', timeout: 0, hops: 0 });
  raw.send('target', { v: 1, type: 'request', id: 1, route: '/t/ok', payload: null, replyTo: 'forger', timeout: 0, hops: 0, traceparent: 'not-a-traceparent' });
  raw.send('target', { v: 2, type: 'advertise', mapper: 'forger' } as unknown as Parameters<typeof raw.send>[1]);
  await until(async () => (sample(await metrics.metrics(), 'nanite_malformed_packets_total', { role: 'agent', node: 'target', kind: 'invalid-request' }) ?? 0) === 2);
  expect(sample(await metrics.metrics(), 'nanite_malformed_packets_total', { role: 'agent', node: 'target', kind: 'version' })).toBe(1);
  await raw.close();
  await transport.close();
});

test('without a tracer, ctx.traceId is a W3C trace id shared by the chain; a given traceparent sets it', async () => {
  const seen: string[] = [];
  await c.agent({ identity: 'a', actors: [defineActor('a', { run: async (_p: unknown, ctx: RequestContext) => { seen.push(ctx.traceId); return ctx.request('/b/run'); } })] }).start();
  await c.agent({ identity: 'b', actors: [defineActor('b', { run: (_p: unknown, ctx: RequestContext) => { seen.push(ctx.traceId); return ctx.traceId; } })] }).start();
  const m = await c.startedMapper();
  const id = await m.request<string>('/a/run');
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(seen).toEqual([id, id]);
  const parent = formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', true);
  await expect(m.request('/a/run', null, { traceparent: parent })).resolves.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
});

test('a bad traceparent option is refused with NANITE_ERR_INVALID_ARGUMENT; a bad one off the wire is a malformed packet', async () => {
  const m = await c.startedMapper({ discoveryWindow: 0 });
  await expect(m.request('/a/run', null, { traceparent: '00-xyz' })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  await expect(m.push('/a/run', null, { traceparent: '00-xyz' })).rejects.toBeInstanceOf(NaniteError);
  expect(decodePacket({ v: 1, type: 'request', id: 1, route: '/a/b', payload: 1, replyTo: 'm', timeout: 0, hops: 0, traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` })).toMatchObject({ ok: false, reason: 'request: traceparent must be a W3C traceparent' });
  expect(isTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe(true);
  expect(parseTraceParent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeUndefined();
  expect(malformedKind('push: route must be a string starting with /')).toBe('invalid-push');
  expect(malformedKind('undecodable message: Unexpected token')).toBe('undecodable');
  // Stream and survey packets have kinds of their own (they were counted as 'other').
  for (const packet of [
    { v: 1, type: 'chunk', id: -1, from: 'a', seq: 0, data: null },
    { v: 1, type: 'credit', id: 1, from: 'a', n: 0 },
    { v: 1, type: 'end', id: 1, from: 'a', chunks: -1 },
    { v: 1, type: 'survey', id: 1, route: 'x' },
    { v: 1, type: 'answer', id: 1 },
  ]) {
    const decoded = decodePacket(packet);
    expect(decoded.ok).toBe(false);
    expect(malformedKind((decoded as { reason: string }).reason)).toBe(`invalid-${packet.type}`);
  }
});

test('observers see every request begin and end once, with its error code, and the close of what they observe', async () => {
  const events: string[] = [];
  const observer: Observer = {
    observeMapper: () => ({ begin: (s: RequestStart) => { events.push(`begin ${s.kind} ${s.route}`); return { end: (e) => events.push(`end ${s.route} ${e?.code ?? 'ok'}`) }; }, close: () => events.push('mapper closed') }),
    observeAgent: () => ({ begin: (s) => { events.push(`handle ${s.route}`); return { end: (e) => events.push(`handled ${s.route} ${e?.code ?? 'ok'}`) }; }, close: () => events.push('agent closed') }),
  };
  const agent = c.agent({ identity: 'o', observers: [observer], actors: [defineActor('o', { ok: () => 1, bad: () => { throw new Error('x'); } })] });
  await agent.start();
  const m = await c.startedMapper({ observers: [observer] });
  await m.request('/o/ok');
  await expect(m.request('/o/bad')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
  await m.push('/o/ok');
  await until(async () => events.includes('handled /o/ok ok') && events.filter((e) => e === 'handled /o/ok ok').length === 2);
  await m.close();
  await agent.close();
  // In-process (memory://'s fast path) the mapper may hear the result before the agent's observer
  // closes the handler's scope: the last two of each request come in either order.
  const request = (from: number) => [...events.slice(from, from + 2), ...events.slice(from + 2, from + 4).sort()];
  expect([...request(0), ...request(4)]).toEqual([
    'begin request /o/ok', 'handle /o/ok', 'end /o/ok ok', 'handled /o/ok ok',
    'begin request /o/bad', 'handle /o/bad', 'end /o/bad NANITE_ERR_HANDLER', 'handled /o/bad NANITE_ERR_HANDLER',
  ]);
  // A push ends for the mapper once sent; the agent runs it whenever it arrives.
  expect(events[8]).toBe('begin push /o/ok');
  expect(events.slice(9, 12).sort()).toEqual(['end /o/ok ok', 'handle /o/ok', 'handled /o/ok ok']);
  expect(events.slice(12)).toEqual(['mapper closed', 'agent closed']);
});

async function until(check: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('an observer whose hooks throw is skipped and counted: requests settle, time out, and handlers run and reply as without it', async () => {
  const throwing = (hook: string) => { throw new Error(`observer ${hook} bug`); };
  let mode: 'begin' | 'end' | 'run' | 'skip-run' = 'begin';
  const ran: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const observer: Observer = {
    observeMapper: () => ({ begin: () => (mode === 'begin' ? throwing('begin') : { end: () => throwing('end') }), close: () => throwing('close') }),
    observeAgent: () => ({
      begin: () => (mode === 'begin' ? throwing('begin') : {
        ...(mode === 'run' ? { run: () => throwing('run') } : mode === 'skip-run' ? { run: () => undefined as never } : {}),
        end: () => throwing('end'),
      }),
      close: () => throwing('close'),
    }),
  };
  const counted = prometheusMetrics(); // a well-behaved observer next to it still counts everything
  const agent = c.agent({ identity: 'o', concurrency: 1, observers: [observer, counted], actors: [defineActor('o', { ok: (n: number) => { ran.push(n); return n; }, late: () => gate })] });
  await agent.start();
  const m = await c.startedMapper({ observers: [observer, counted] });
  let n = 0;
  for (const each of ['begin', 'end', 'run', 'skip-run'] as const) {
    mode = each;
    // Two in a row on a one-slot agent: the second runs only if the first's end let the slot go.
    await expect(Promise.all([m.request('/o/ok', ++n), m.request('/o/ok', ++n)])).resolves.toEqual([n - 1, n]);
  }
  expect(ran).toEqual([1, 2, 3, 4, 5, 6, 7, 8]); // each handler ran once, whatever run() did
  // A request's deadline still fires (its settling calls the throwing end()).
  mode = 'end';
  await expect(m.request('/o/late', null, { timeout: 50 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  release();
  expect(sample(await counted.metrics(), 'nanite_mapper_requests_total', { route: '/o/ok', kind: 'request', code: 'ok' })).toBe(8);
  expect(m.stats.listenerFaults).toBe(2 + 6 + 1); // begin ×2, end ×6, the timed-out request's end
  await until(async () => agent.stats.handled === 9);
  // begin ×2, end ×6 + 1 (/o/late), run ×2, a run() that returned without running the handler ×2
  expect(agent.stats.listenerFaults).toBe(2 + 7 + 2 + 2);
  await m.close();
  await agent.close();
  expect(m.stats.listenerFaults).toBe(10); // and its close()
  expect(agent.stats.listenerFaults).toBe(14);
  // One line per burst: the mapper's per kind of fault (begin, end, close), the agent's for all hooks.
  const lines = c.logger.lines.filter((l) => l.level === 'error' && /observer/.test(l.msg ?? '')).map((l) => (l.obj as { hook: string; agent?: string }));
  expect(lines.map((o) => `${o.agent ? 'agent' : 'mapper'} ${o.hook}`)).toEqual(['mapper begin', 'agent begin', 'mapper end', 'mapper close']);
});

test("an observer's traceparent that is not W3C is dropped and counted: the request and the handler's nested call go on (it used to fail every request with NANITE_ERR_INVALID_ARGUMENT)", async () => {
  const bad = (traceparent: unknown) => ({ traceparent: traceparent as string, end() {} });
  const observer: Observer = {
    observeMapper: () => ({ begin: () => bad('b3-not-w3c'), close() {} }),
    observeAgent: () => ({ begin: () => bad(''), close() {} }),
  };
  const seen: string[] = [];
  const agent = c.agent({ identity: 'o', observers: [observer], actors: [defineActor('o', { outer: (_p: unknown, ctx: RequestContext) => ctx.request('/o/inner'), inner: (_p: unknown, ctx: RequestContext) => { seen.push(ctx.traceId); return 'in'; } })] });
  await agent.start();
  const m = await c.startedMapper({ observers: [observer] });
  await expect(m.request('/o/outer')).resolves.toBe('in');
  expect(seen[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(m.stats.listenerFaults).toBe(1);
  expect(agent.stats.listenerFaults).toBe(2); // the outer and the inner handler's scope
});

test("an observer's run() that throws after the handler, calls it twice, or calls it later: the handler runs once and the job gets its own outcome", async () => {
  const start = { route: '/r/x', kind: 'request', requestId: 'm#1', traceparent: undefined, hops: 0, queuedMs: 0 } as const;
  const faults: string[] = [];
  const guard = (run: <T>(fn: () => T) => T) => guardAgentObservation({ begin: () => ({ run, end: () => undefined }), close: () => undefined }, (hook, err) => void faults.push(`${hook}: ${(err as Error).message}`)).begin(start)!;
  let runs = 0;
  const handler = () => ++runs;
  // Calls it, then its own code throws (a span that fails to end).
  expect(guard((fn) => { fn(); throw new Error('span.end failed'); }).run!(handler)).toBe(1);
  // Calls it twice (a retry wrapper).
  expect(guard((fn) => { fn(); return fn(); }).run!(handler)).toBe(2);
  // Calls it later and returns nothing now.
  let later: (() => unknown) | undefined;
  expect(guard(((fn: () => unknown) => { later = fn; return undefined; }) as <T>(fn: () => T) => T).run!(handler)).toBe(3);
  later!();
  expect(runs).toBe(3);
  // The handler's own throw is the job's outcome, not the observer's fault.
  expect(() => guard((fn) => fn()).run!(() => { throw new Error('handler failed'); })).toThrow('handler failed');
  expect(faults).toEqual(['run: span.end failed', "run: the observer's run() returned without running the handler"]);
});

test('fan-out requests are observed too: one outcome per call, the no-agent failure included', async () => {
  const metrics = prometheusMetrics();
  await c.agent({ identity: 'f1', actors: [defineActor('f', { ok: () => 1 })] }).start();
  await c.agent({ identity: 'f2', actors: [defineActor('f', { ok: () => 2 })] }).start();
  const m = await c.startedMapper({ observers: [metrics], discoveryWindow: 0 });
  await expect(m.request('/f/ok', null, { selector: 'all' })).resolves.toEqual({ f1: { ok: true, result: 1 }, f2: { ok: true, result: 2 } });
  await expect(m.request('/nobody/here', null, { selector: 'all' })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  const text = await metrics.metrics();
  expect(sample(text, 'nanite_mapper_requests_total', { route: '/f/ok', code: 'ok' })).toBe(1);
  expect(sample(text, 'nanite_mapper_requests_total', { route: '/nobody/here', code: 'NANITE_ERR_NO_AGENT' })).toBe(1);
});

test('the log line of a failing push carries its trace id and request id', async () => {
  await c.agent({ identity: 'p', actors: [defineActor('p', { bad: () => { throw new Error('nope'); } })] }).start();
  const m = await c.startedMapper();
  await m.push('/p/bad', null, { traceparent: formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', true) });
  await until(async () => c.logger.lines.some((l) => l.msg?.startsWith('push handler failed')));
  const line = c.logger.lines.find((l) => l.msg?.startsWith('push handler failed'))!;
  expect(line.obj).toMatchObject({ route: '/p/bad', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', requestId: expect.stringMatching(new RegExp(`^${m.identity}#\\d+$`)) });
});

test('tracing with no SDK installed costs no scope, and the caller’s trace context still travels down the chain', async () => {
  const tracing = openTelemetryTracing();
  const seen: string[] = [];
  await c.agent({ identity: 'a', observers: [tracing], actors: [defineActor('a', { run: async (_p: unknown, ctx: RequestContext) => { seen.push(ctx.traceId); return ctx.request('/b/run'); } })] }).start();
  await c.agent({ identity: 'b', observers: [tracing], actors: [defineActor('b', { run: (_p: unknown, ctx: RequestContext) => { seen.push(ctx.traceId); return 'ok'; } })] }).start();
  const m = await c.startedMapper({ observers: [tracing] });
  expect(tracing.observeMapper({} as never).begin({ route: '/a/run', kind: 'request', traceparent: undefined })).toBeUndefined();
  await m.request('/a/run', null, { traceparent: formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', true) });
  expect(seen).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736']);
});

test('an agent closed without starting, or whose start failed, leaves the metrics observer (a retrying start used to pile them up)', async () => {
  const metrics = prometheusMetrics();
  const never = c.agent({ identity: 'never', observers: [metrics], actors: [defineActor('n', { ok: () => 1 })] });
  await c.agent({ identity: 'taken', actors: [defineActor('t', { ok: () => 1 })] }).start();
  const twin = c.agent({ identity: 'taken', observers: [metrics], actors: [defineActor('t', { ok: () => 1 })] });
  await expect(twin.start()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  const listed = async () => samples(await metrics.metrics(), 'nanite_agent_in_flight').map((s) => s.labels.agent);
  expect(await listed()).toEqual(['never', 'taken']);
  await never.close();
  await twin.close();
  expect(await listed()).toEqual([]);
});

test("a streaming handler's body (an async generator) runs inside its handle span, as a plain handler's does: spans it starts are the span's children", async () => {
  // The SDK's context manager (@opentelemetry/context-async-hooks) in a few lines: enough for the active span.
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const { context, trace, ROOT_CONTEXT } = await import('@opentelemetry/api');
  const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
  const als = new AsyncLocalStorage<import('@opentelemetry/api').Context>();
  const manager = {
    active: () => als.getStore() ?? ROOT_CONTEXT,
    with: <A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: import('@opentelemetry/api').Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A) => als.run(ctx, () => fn.apply(thisArg, args)),
    bind: <T>(_ctx: import('@opentelemetry/api').Context, target: T) => target,
    enable() { return this; },
    disable() { als.disable(); return this; },
  };
  context.setGlobalContextManager(manager);
  const provider = new BasicTracerProvider();
  const tracing = openTelemetryTracing({ tracerProvider: provider });
  const active: Record<string, string | undefined> = {};
  try {
    await c.agent({ identity: 'a', observers: [tracing], actors: [defineActor('t', {
      plain: () => { active.plain = trace.getActiveSpan()?.spanContext().traceId; return 1; },
      async *gen() {
        active.genStart = trace.getActiveSpan()?.spanContext().traceId;
        yield 1;
        await new Promise((r) => setTimeout(r, 5));
        active.genLater = trace.getActiveSpan()?.spanContext().traceId;
        yield 2;
      },
    })] }).start();
    const m = await c.startedMapper();
    const tp = formatTraceParent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', true);
    await m.request('/t/plain', null, { traceparent: tp });
    const out: unknown[] = [];
    for await (const v of m.stream('/t/gen', null, { traceparent: tp })) out.push(v);
    expect(out).toEqual([1, 2]);
    expect(active).toEqual({ plain: '4bf92f3577b34da6a3ce929d0e0e4736', genStart: '4bf92f3577b34da6a3ce929d0e0e4736', genLater: '4bf92f3577b34da6a3ce929d0e0e4736' });
  } finally {
    context.disable();
    await provider.shutdown();
  }
});
