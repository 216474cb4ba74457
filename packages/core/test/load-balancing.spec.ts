/**
 * Load-balancing quality: status piggybacked on results, the latency-aware least_loaded (peak
 * EWMA), and selection that does not grow with the number of agents. No wall-clock assertions:
 * fake timers drive the slow agent, counters prove the constant-cost pick.
 */
import { decodePacket, defineActor, LeastLoadedSelector, PeakEwma, PEAK_EWMA_DECAY_MS, type AgentView, type RequestInfo } from '../src';
import { TestCluster, closeCluster, flush, useFakeTimers } from './helpers';

const info: RequestInfo = { route: '/r/x', payload: null, tags: [], target: undefined };
const view = (identity: string, load: number, latency?: number): AgentView => ({
  identity, routes: ['/r/x'], tags: [], status: load, inFlight: 0, concurrency: 1, pingInterval: 1000, lastSeen: 0, pending: 0, load, priority: 8, ...(latency === undefined ? {} : { latency }),
});
const answering = (answer: string, delayMs = 0) =>
  defineActor('r', { x: () => (delayMs === 0 ? answer : new Promise((r) => setTimeout(() => r(answer), delayMs))) });

describe('status piggybacked on results', () => {
  let c: TestCluster;
  beforeEach(() => (c = new TestCluster()));
  afterEach(() => closeCluster(c));

  test('the decoder takes a result with a status and drops one whose status is not a finite number', () => {
    expect(decodePacket({ v: 1, type: 'result', id: 1, from: 'a', ok: true, result: 1, status: 0.5 }).ok).toBe(true);
    expect(decodePacket({ v: 1, type: 'result', id: 1, from: 'a', ok: true, result: 1, status: 'busy' })).toEqual({ ok: false, reason: 'result: status must be a finite number' });
    expect(decodePacket({ v: 1, type: 'result', id: 1, from: 'a', ok: true, result: 1, status: Infinity }).ok).toBe(false);
  });

  test("a result moves the mapper's view of the agent at once: the next requests avoid it, no ping needed", async () => {
    // Pings every 5 minutes: nothing but results can tell the mapper that "busy" became loaded.
    let busyStatus = 0;
    const busy = c.agent({ identity: 'busy', pingInterval: 300_000, status: () => busyStatus, actors: [answering('busy')] });
    const idle = c.agent({ identity: 'idle', pingInterval: 300_000, status: () => 0, actors: [answering('idle')] });
    await Promise.all([busy.start(), idle.start()]);
    const m = await c.startedMapper();
    expect(m.agents().find((a) => a.identity === 'busy')!.status).toBe(0);
    busyStatus = 5;
    await m.request('/r/x', null, { target: 'busy' });
    expect(m.agents().find((a) => a.identity === 'busy')!.status).toBe(5);
    const answers: unknown[] = [];
    for (let i = 0; i < 10; i++) answers.push(await m.request('/r/x'));
    expect(answers).toEqual(Array(10).fill('idle'));
  });

  test("a piggybacked status out of range is clamped like a Ping's", async () => {
    let status = 0;
    const a = c.agent({ identity: 'a', pingInterval: 300_000, status: () => status, actors: [answering('a')] });
    await a.start();
    const m = await c.startedMapper();
    status = 1e300;
    await m.request('/r/x');
    expect(m.agents()[0]!.status).toBe(1e6);
    status = -5;
    await m.request('/r/x');
    expect(m.agents()[0]!.status).toBe(0);
  });
});

describe('latency-aware least_loaded (peak EWMA)', () => {
  let c: TestCluster;
  beforeEach(() => (c = new TestCluster()));
  afterEach(() => closeCluster(c));

  test('peak EWMA: a slower sample takes over at once, faster ones pull it down with time, silence decays it', () => {
    const e = new PeakEwma();
    expect(e.read(0)).toBe(0);
    e.observe(10, 1_000);
    e.observe(50, 1_001);
    expect(e.read(1_001)).toBe(50);
    e.observe(10, 1_002); // 1 ms later: barely moves
    expect(e.read(1_002)).toBeGreaterThan(49);
    e.observe(10, 1_002 + PEAK_EWMA_DECAY_MS * 5); // long after: almost all the new sample
    expect(e.read(1_002 + PEAK_EWMA_DECAY_MS * 5)).toBeLessThan(11);
    const idle = new PeakEwma();
    idle.observe(40, 0);
    expect(idle.read(PEAK_EWMA_DECAY_MS)).toBeCloseTo(40 / Math.E, 5);
    const quick = new PeakEwma();
    quick.observe(0, 0); // under a millisecond still counts as measured
    expect(quick.read(0)).toBeGreaterThan(0);
  });

  test('weighs load by latency; an agent not measured yet counts as fast as its rival', () => {
    const s = new LeastLoadedSelector(); // latency-aware by default
    // b is half as loaded but five times slower: 5 × (1 + 0.5) > 1 × (1 + 1)
    expect(s.select([view('a', 1, 1), view('b', 0.5, 5)], info)[0]!.identity).toBe('a');
    // once a is queued deep enough, b wins: 1 × (1 + 8) > 5 × (1 + 0.5)
    expect(s.select([view('a', 8, 1), view('b', 0.5, 5)], info)[0]!.identity).toBe('b');
    expect(s.select([view('a', 1, 3), view('new', 0.5)], info)[0]!.identity).toBe('new');
    // load only ignores latency
    expect(new LeastLoadedSelector({ latencyAware: false }).select([view('a', 1, 1), view('b', 0.5, 5)], info)[0]!.identity).toBe('b');
  });

  test('over memory://, the default least_loaded gives a 5x slower agent far less traffic than round robin would', async () => {
    useFakeTimers();
    const fast = ['f1', 'f2', 'f3'].map((id) => c.agent({ identity: id, concurrency: 4, actors: [answering(id, 10)] }));
    const slow = c.agent({ identity: 'slow', concurrency: 4, actors: [answering('slow', 50)] });
    await Promise.all([...fast, slow].map((a) => a.start()));
    const m = await c.startedMapper({ timeout: 0 });
    const counts: Record<string, number> = { f1: 0, f2: 0, f3: 0, slow: 0 };
    // 40 rounds of 4 concurrent requests, time moved by hand: each round waits for all of its answers.
    for (let round = 0; round < 40; round++) {
      const calls = [0, 1, 2, 3].map(() => m.call<string>('/r/x'));
      await flush();
      await jest.advanceTimersByTimeAsync(50);
      for (const r of await Promise.all(calls)) counts[r.agent]!++;
    }
    // Round robin would give it 40 of 160. It is measured once (first round), then avoided until
    // the fast agents are loaded past what its latency costs.
    expect(counts.slow).toBeLessThanOrEqual(4);
    expect(counts.f1! + counts.f2! + counts.f3!).toBeGreaterThanOrEqual(156);
  });
});

describe('selection cost does not grow with the number of agents', () => {
  /** Views whose `load` reads are counted. */
  function counted(n: number, loadOf: (i: number) => number): { views: AgentView[]; reads: () => number } {
    let reads = 0;
    const views = Array.from({ length: n }, (_, i) => {
      const v = view(`a${i}`, 0);
      return Object.defineProperty({ ...v }, 'load', { get: () => (reads++, loadOf(i)) }) as AgentView;
    });
    return { views, reads: () => reads };
  }

  test('past the scan limit, least_loaded looks at two agents per pick (power of two choices)', () => {
    const { views, reads } = counted(10_000, (i) => i % 7);
    const s = new LeastLoadedSelector();
    for (let k = 0; k < 100; k++) s.select(views, info);
    expect(reads()).toBeLessThanOrEqual(2 * 100 * 2);
    const small = counted(8, () => 0);
    new LeastLoadedSelector().select(small.views, info);
    expect(small.reads()).toBeGreaterThanOrEqual(8); // small sets are scanned in full
  });

  test('two choices never pick the most loaded agent and favour the least loaded', () => {
    const n = 100;
    const { views } = counted(n, (i) => i); // a99 is the most loaded
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const s = new LeastLoadedSelector({ random });
    const hits = new Map<string, number>();
    for (let k = 0; k < 20_000; k++) {
      const id = s.select(views, info)[0]!.identity;
      hits.set(id, (hits.get(id) ?? 0) + 1);
    }
    expect(hits.get('a99')).toBeUndefined();
    // The least loaded wins every draw it is in (~2/n of them), the median agent about half of its draws.
    expect(hits.get('a0')!).toBeGreaterThan(hits.get('a50')! * 1.5);
  });
});
