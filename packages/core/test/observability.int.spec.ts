// Acceptance of docs/observability.md over the real broker: a Prometheus scrape after traffic shows
// the counters and histograms moved with the right labels, and an OpenTelemetry SDK (in-memory
// exporter) records one trace spanning mapper → agent → nested agent.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Agent, Mapper, NaniteError, defineActor, openTelemetryTracing, prometheusMetrics, type Observer, type RequestContext } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { sample, samples } from './metrics-text';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let prefix: string;
let url: string;
let agents: Agent[];
let mapper: Mapper | undefined;

async function start(observers: Observer[], actors: Record<string, ReturnType<typeof defineActor>>): Promise<Mapper> {
  agents = Object.entries(actors).map(([identity, actor]) => new Agent({ transport: url, identity, actors: [actor], logger: quiet, pingInterval: 500, concurrency: 2, observers, mapper: { logger: quiet } }));
  for (const a of agents) await a.start();
  mapper = new Mapper({ transport: url, logger: quiet, observers });
  await mapper.start();
  await mapper.waitForAgents({ count: agents.length, timeout: 10_000 });
  return mapper;
}

beforeEach(() => {
  prefix = uniquePrefix('observe');
  url = `${AMQP_URL}?prefix=${prefix}`;
  agents = [];
  mapper = undefined;
});

afterEach(async () => {
  await mapper?.close();
  for (const a of agents) await a.stop();
  await removeTopology([prefix]);
});

test('GET /metrics after traffic on amqp://: request counters by route and code, latency histograms, agent and transport gauges', async () => {
  const metrics = prometheusMetrics();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const m = await start([metrics], {
    'agent-calc': defineActor('calc', {
      add: ([a, b]: [number, number]) => a + b,
      fail: () => { throw new Error('boom'); },
      slow: async () => { await gate; return 'done'; },
    }),
  });
  for (let i = 0; i < 5; i++) await expect(m.request('/calc/add', [i, 1])).resolves.toBe(i + 1);
  await expect(m.request('/calc/fail')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
  await expect(m.request('/nowhere/at-all')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  // Three slow requests on an agent running two at once: two run, the third waits (at the broker: prefetch = concurrency).
  const slow = [1, 2, 3].map(() => m.request('/calc/slow'));
  await waitFor(async () => sample(await metrics.metrics(), 'nanite_agent_in_flight', { agent: 'agent-calc' }) === 2);
  const busy = await metrics.metrics();
  expect(sample(busy, 'nanite_mapper_pending', { mapper: m.identity })).toBe(3);
  expect(sample(busy, 'nanite_agent_queued', { agent: 'agent-calc' })).toBe(0);
  release();
  await expect(Promise.all(slow)).resolves.toEqual(['done', 'done', 'done']);

  const text = await metrics.metrics();
  expect(text).toContain('# TYPE nanite_mapper_requests_total counter');
  expect(sample(text, 'nanite_mapper_requests_total', { route: '/calc/add', kind: 'request', code: 'ok' })).toBe(5);
  expect(sample(text, 'nanite_mapper_requests_total', { route: '/calc/fail', kind: 'request', code: 'NANITE_ERR_HANDLER' })).toBe(1);
  expect(sample(text, 'nanite_mapper_requests_total', { route: '/nowhere/at-all', kind: 'request', code: 'NANITE_ERR_NO_AGENT' })).toBe(1);
  expect(sample(text, 'nanite_mapper_request_duration_seconds_count', { route: '/calc/add', outcome: 'ok' })).toBe(5);
  expect(sample(text, 'nanite_mapper_request_duration_seconds_count', { route: '/calc/fail', outcome: 'error' })).toBe(1);
  expect(sample(text, 'nanite_mapper_request_duration_seconds_sum', { route: '/calc/add', outcome: 'ok' })).toBeGreaterThan(0);
  expect(sample(text, 'nanite_mapper_request_duration_seconds_bucket', { route: '/calc/add', outcome: 'ok', le: '+Inf' })).toBe(5);

  expect(sample(text, 'nanite_agent_requests_total', { route: '/calc/add', kind: 'request', code: 'ok' })).toBe(5);
  expect(sample(text, 'nanite_agent_requests_total', { route: '/calc/fail', kind: 'request', code: 'NANITE_ERR_HANDLER' })).toBe(1);
  expect(sample(text, 'nanite_agent_handler_duration_seconds_count', { route: '/calc/slow', outcome: 'ok' })).toBe(3);
  expect(sample(text, 'nanite_agent_queue_wait_seconds_count', { route: '/calc/slow' })).toBe(3);
  expect(sample(text, 'nanite_agent_in_flight', { agent: 'agent-calc' })).toBe(0);
  expect(sample(text, 'nanite_agent_concurrency', { agent: 'agent-calc' })).toBe(2);
  expect((sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'joining' }) ?? 0) + (sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'up' }) ?? 0)).toBe(1);
  expect(sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'down' })).toBe(0);
  expect(sample(text, 'nanite_mapper_agent_pending', { mapper: m.identity, agent: 'agent-calc' })).toBe(0);
  expect(sample(text, 'nanite_mapper_redispatches_total', { mapper: m.identity })).toBe(0);
  const transport = samples(text, 'nanite_transport_connected');
  expect(transport.length).toBeGreaterThan(0);
  expect(transport.every((s) => s.value === 1 && !s.labels.transport!.includes('guest:guest'))).toBe(true);
  expect(samples(text, 'nanite_transport_reconnects_total').every((s) => s.value === 0)).toBe(true);
});

test('one trace spans mapper → agent → nested agent over amqp:// (OpenTelemetry SDK, in-memory exporter)', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracing = openTelemetryTracing({ tracerProvider: provider });
  const seen: Record<string, string> = {};
  const m = await start([tracing], {
    'agent-a': defineActor('a', { run: async (p: unknown, ctx: RequestContext) => { seen.a = ctx.traceId; return `a(${await ctx.request<string>('/b/run', p)})`; } }),
    'agent-b': defineActor('b', { run: async (p: unknown, ctx: RequestContext) => { seen.b = ctx.traceId; return `b(${await ctx.request<string>('/c/run', p)})`; } }),
    'agent-c': defineActor('c', { run: (p: unknown, ctx: RequestContext) => { seen.c = ctx.traceId; if (p === 'bad') throw new NaniteError('NANITE_ERR_VALIDATION'); return `c(${String(p)})`; } }),
  });
  await expect(m.request('/a/run', 'x')).resolves.toBe('a(b(c(x)))');
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const byName = (name: string): ReadableSpan => {
    const found = spans.filter((s) => s.name === name);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const chain = ['request /a/run', 'handle /a/run', 'request /b/run', 'handle /b/run', 'request /c/run', 'handle /c/run'].map(byName);
  const traceId = chain[0]!.spanContext().traceId;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  // One trace, each span the child of the one before it: mapper → agent a → (nested) agent b → agent c.
  expect(chain[0]!.parentSpanContext).toBeUndefined();
  for (let i = 1; i < chain.length; i++) {
    expect(chain[i]!.spanContext().traceId).toBe(traceId);
    expect(chain[i]!.parentSpanContext?.spanId).toBe(chain[i - 1]!.spanContext().spanId);
  }
  expect(chain[1]!.attributes['nanite.agent']).toBe('agent-a');
  expect(chain[5]!.attributes['nanite.agent']).toBe('agent-c');
  // The handlers' ctx.traceId is the W3C trace id of the trace.
  expect(seen).toEqual({ a: traceId, b: traceId, c: traceId });

  // An error deep in the chain marks the spans it crossed.
  exporter.reset();
  await expect(m.request('/a/run', 'bad')).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION' });
  await provider.forceFlush();
  const failed = exporter.getFinishedSpans().find((s) => s.name === 'handle /c/run');
  expect(failed?.status.code).toBe(2); // SpanStatusCode.ERROR
  expect(failed?.attributes['nanite.error.code']).toBe('NANITE_ERR_VALIDATION');
  await provider.shutdown();
});

async function waitFor(check: () => Promise<boolean>, timeout = 20_000): Promise<void> {
  const until = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
