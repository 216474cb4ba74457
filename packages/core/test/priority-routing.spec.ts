import { PrioritySelector, ZoneSelector, defineActor, type AgentView, type RequestContext, type RequestInfo } from '../src';
import { TestCluster, closeCluster, deferred, flush } from './helpers';

const view = (identity: string, priority: number, load = 0, tags: string[] = []): AgentView => ({
  identity, routes: ['/r/x'], tags, status: load, inFlight: 0, concurrency: 1, priority, pingInterval: 1000, lastSeen: 0, pending: 0, load,
});
const info: RequestInfo = { route: '/r/x', payload: null, tags: [], target: undefined };
const ids = (vs: readonly AgentView[]): string[] => vs.map((v) => v.identity);

describe('PrioritySelector', () => {
  test('best tier with room, least-loaded within it; next tier when it saturates; least-loaded of all when all do', () => {
    const s = new PrioritySelector();
    expect(ids(s.select([view('b', 2), view('a1', 1, 0.5), view('a2', 1, 0.2)], info))).toEqual(['a2']);
    expect(ids(s.select([view('b', 2, 0.9), view('a1', 1, 1), view('a2', 1, 3)], info))).toEqual(['b']);
    expect(ids(s.select([view('c', 3, 0.1), view('b', 2, 1), view('a', 1, 1)], info))).toEqual(['c']);
    expect(ids(s.select([view('b', 2, 1.5), view('a', 1, 2)], info))).toEqual(['b']);
    expect(ids(new PrioritySelector({ saturatedAt: 0.5 }).select([view('b', 2, 0), view('a', 1, 0.6)], info))).toEqual(['b']);
    expect(ids(s.select([], info))).toEqual([]);
  });
});

describe('ZoneSelector', () => {
  test('prefers agents tagged zone:<zone>, falls back to the others', () => {
    const s = new ZoneSelector({ zone: 'eu-1' });
    expect(ids(s.select([view('us', 1, 0, ['zone:us-1']), view('eu', 1, 0.5, ['zone:eu-1'])], info))).toEqual(['eu']);
    expect(ids(s.select([view('us', 1, 0.7, ['zone:us-1']), view('x', 1, 0.2)], info))).toEqual(['x']);
    const tiered = new ZoneSelector({ zone: 'eu-1', within: new PrioritySelector() });
    expect(ids(tiered.select([view('eu2', 2, 0, ['zone:eu-1']), view('eu1', 1, 0.3, ['zone:eu-1']), view('us1', 1, 0)], info))).toEqual(['eu1']);
  });
});

describe('priority routing (memory://)', () => {
  let c: TestCluster;
  beforeEach(() => { c = new TestCluster(); });
  afterEach(() => closeCluster(c));

  // In-process agents share the test's busy event loop: count slots only (the default status adds event-loop utilisation).
  const slots = (i: { inFlight: number; queued: number; concurrency: number }) => (i.inFlight + i.queued) / i.concurrency;
  const actor = () => defineActor('work', { run: { handler: (_p: unknown, ctx: RequestContext) => ctx.agent, idempotent: true } });

  test('traffic stays on tier 1, moves to tier 2 when tier 1 stops (no failed request), and returns when it is back', async () => {
    const tier1 = c.agent({ identity: 'tier1', priority: 1, status: slots, actors: [actor()] });
    await tier1.start();
    await c.agent({ identity: 'tier2', priority: 2, status: slots, actors: [actor()] }).start();
    const m = await c.startedMapper({ selector: 'priority' });
    const served: string[] = [];
    let failed = 0;
    let running = true;
    const load = (async () => {
      while (running && failed < 100) {
        const batch = await Promise.allSettled(Array.from({ length: 8 }, () => m.call<string>('/work/run')));
        for (const r of batch) if (r.status === 'fulfilled') served.push(r.value.agent); else failed++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const until = async (n: number) => {
      const want = served.length + n;
      while (served.length < want) {
        if (failed > 0) throw new Error(`${failed} requests failed; served ${served.join(',')}`);
        await new Promise((r) => setImmediate(r));
      }
    };
    try {
    await until(40);
    expect(new Set(served)).toEqual(new Set(['tier1']));
    await tier1.close();
    const afterStop = served.length;
    await until(40);
    expect(served.slice(afterStop + 8)).not.toContain('tier1');
    expect(served.slice(afterStop)).toContain('tier2');
    const back = c.agent({ identity: 'tier1', priority: 1, status: slots, actors: [actor()] });
    await back.start();
    await flush();
    const afterRestart = served.length;
    await until(40);
    expect(served.slice(afterRestart + 8).every((a) => a === 'tier1')).toBe(true);
    } finally {
      running = false;
      await load;
    }
    expect(failed).toBe(0);
  });

  test('a saturated tier 1 spills to tier 2 at once and gets traffic back when it has room', async () => {
    const gate = deferred<void>();
    const slow = defineActor('work', { run: async (p: unknown, ctx: RequestContext) => { if (p === 'hold') await gate.promise; return ctx.agent; } });
    // Slots-only status: in this busy test process the event-loop utilisation the default status
    // also counts reads as saturated, and every result now carries the status (docs/selectors.md).
    await c.agent({ identity: 'tier1', priority: 1, concurrency: 1, status: slots, actors: [slow] }).start();
    await c.agent({ identity: 'tier2', priority: 2, concurrency: 1, status: slots, actors: [slow] }).start();
    const m = await c.startedMapper({ selector: 'priority' });
    const held = m.call<string>('/work/run', 'hold');
    await flush();
    await expect(m.call('/work/run')).resolves.toMatchObject({ agent: 'tier2' });
    gate.resolve();
    await expect(held).resolves.toMatchObject({ agent: 'tier1' });
    await expect(m.call('/work/run')).resolves.toMatchObject({ agent: 'tier1' });
  });

  test('priority travels in Register (default 8) and is validated', async () => {
    await c.agent({ identity: 'p3', priority: 3, actors: [actor()] }).start();
    await c.agent({ identity: 'dflt', actors: [actor()] }).start();
    const m = await c.startedMapper();
    expect(Object.fromEntries(m.agents().map((a) => [a.identity, a.priority]))).toEqual({ p3: 3, dflt: 8 });
    for (const priority of [0, 17, 1.5]) expect(() => c.agent({ priority })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });
});
