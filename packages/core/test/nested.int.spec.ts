// Actors calling actors over the real broker: results, deadline/cancellation propagation, error
// codes and the hop limit, with every connection closed at the end (--detectOpenHandles).
import { Agent, Mapper, NaniteError, defineActor, type RequestContext } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let prefix: string;
let url: string;
let agents: Agent[];
let mapper: Mapper;

async function start(actors: Record<string, ReturnType<typeof defineActor>>): Promise<void> {
  agents = Object.entries(actors).map(([identity, actor]) => new Agent({ transport: url, identity, actors: [actor], logger: quiet, pingInterval: 500, mapper: { maxHops: 4, logger: quiet } }));
  for (const a of agents) await a.start();
  mapper = new Mapper({ transport: url, logger: quiet });
  await mapper.start();
  await mapper.waitForAgents({ count: agents.length, timeout: 5_000 });
}

beforeEach(() => {
  prefix = uniquePrefix('nested');
  url = `${AMQP_URL}?prefix=${prefix}`;
  agents = [];
});

afterEach(async () => {
  await mapper?.close();
  for (const a of agents) await a.stop();
  // Park queues outlive a run by design: name the routes the agents here serve.
  await removeTopology([prefix], ['/a/run', '/b/run', '/c/run', '/c/fail']);
});

test('A calls B which calls C over amqp://: results flow back with one trace id', async () => {
  const traces: string[] = [];
  await start({
    'agent-a': defineActor('a', { run: async (p: unknown, ctx: RequestContext) => { traces.push(ctx.traceId); return `a(${await ctx.request<string>('/b/run', p)})`; } }),
    'agent-b': defineActor('b', { run: async (p: unknown, ctx: RequestContext) => { traces.push(ctx.traceId); return `b(${await ctx.request<string>('/c/run', p)})`; } }),
    'agent-c': defineActor('c', { run: (p: unknown, ctx: RequestContext) => { traces.push(ctx.traceId); return `c(${String(p)})`; } }),
  });
  await expect(mapper.request('/a/run', 'x', { traceId: 'trace-1' })).resolves.toBe('a(b(c(x)))');
  expect(traces).toEqual(['trace-1', 'trace-1', 'trace-1']);
});

test('a timeout on the outer call aborts B and C; an error in C keeps its code', async () => {
  const aborted = new Set<string>();
  let bothAborted!: () => void;
  const done = new Promise<void>((resolve) => (bothAborted = resolve));
  const waitAbort = (name: string, ctx: RequestContext) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => {
    aborted.add(name);
    if (aborted.size === 2) bothAborted();
    reject(ctx.signal.reason);
  }));
  await start({
    'agent-a': defineActor('a', { run: (p: unknown, ctx: RequestContext) => ctx.request('/b/run', p) }),
    'agent-b': defineActor('b', {
      run: (p: unknown, ctx: RequestContext) => {
        if (p === 'fail') return ctx.request('/c/fail');
        // B keeps running until its own signal fires, whatever becomes of its call to C.
        ctx.request('/c/run').catch(() => undefined);
        return waitAbort('b', ctx);
      },
    }),
    'agent-c': defineActor('c', {
      run: (_p: unknown, ctx: RequestContext) => waitAbort('c', ctx),
      fail: () => { throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'bad input', data: ['x'] }); },
    }),
  });
  await expect(mapper.request('/a/run', 'fail')).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'bad input', data: ['x'] });
  await expect(mapper.request('/a/run', null, { timeout: 400 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  await done;
  expect([...aborted].sort()).toEqual(['b', 'c']);
});

test('an A→B→A cycle stops at the hop limit with NANITE_ERR_HOP_LIMIT', async () => {
  await start({
    'agent-a': defineActor('a', { run: (_p: unknown, ctx: RequestContext) => ctx.request('/b/run') }),
    'agent-b': defineActor('b', { run: (_p: unknown, ctx: RequestContext) => ctx.request('/a/run') }),
  });
  await expect(mapper.request('/a/run', null, { timeout: 10_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_HOP_LIMIT', data: { maxHops: 4 } });
});
