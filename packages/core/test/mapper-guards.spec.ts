// User code on the mapper side (selectors, event and progress listeners) runs guarded: a fault fails
// the request at once with a clear code, frees its state, is counted and logged once per kind.
import { NaniteError, defineActor, type AgentView, type Selector } from '../src';
import { TestCluster, closeCluster, flush, useFakeTimers } from './helpers';

let c: TestCluster;
let runs: string[];
const actor = () => defineActor('svc', {
  who: (_p: unknown, ctx) => {
    runs.push(ctx.agent);
    return ctx.agent;
  },
  steps: async (_p: unknown, ctx) => {
    ctx.progress('half', 50);
    return 'done';
  },
});

beforeEach(() => {
  c = new TestCluster();
  runs = [];
  useFakeTimers();
});
afterEach(() => closeCluster(c));

async function cluster(ids = ['a', 'b']) {
  for (const identity of ids) await c.agent({ identity, actors: [actor()] }).start();
  return c.startedMapper();
}

const selectorErrors = () => c.logger.lines.filter((l) => l.level === 'error' && /selector/.test(l.msg ?? ''));

describe('a custom selector that misbehaves', () => {
  test.each([
    ['throws', () => { throw new Error('boom'); }, 'threw'],
    ['returns garbage', () => 42 as unknown as AgentView, 'garbage'],
    ['returns a non-agent in a list', () => [{ name: 'x' }] as unknown as AgentView[], 'garbage'],
    ['returns an agent that is not a candidate', (cands: readonly AgentView[]) => ({ ...cands[0]!, identity: 'ghost' }), 'not-candidate'],
  ])('that %s fails the request at once with NANITE_ERR_SELECTOR, frees it, counts and logs once', async (_name, fn, reason) => {
    const m = await cluster();
    for (const timeout of [5_000, 0]) {
      const err = await m.request('/svc/who', null, { selector: fn, timeout }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NaniteError);
      expect(err).toMatchObject({ code: 'NANITE_ERR_SELECTOR', retryable: false, data: { route: '/svc/who', reason } });
    }
    expect(m.stats).toMatchObject({ pending: 0, selectorFaults: 2 });
    expect(runs).toEqual([]);
    expect(selectorErrors()).toHaveLength(1);
    // Nothing was left behind: no timer fires later, the mapper keeps serving.
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(1_000);
      await flush();
    }
    await expect(m.request('/svc/who', null, { selector: 'round_robin' })).resolves.toMatch(/^[ab]$/);
  });

  test('an object selector that throws on a failover (inside a transport callback) fails the request, not the process', async () => {
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [actor()] }, ta).start();
    await c.agent({ identity: 'b', actors: [actor()] }).start();
    const m = await c.startedMapper();
    let calls = 0;
    const picky: Selector = {
      select: (cands) => {
        if (++calls > 1) throw new Error('second thoughts');
        return cands.filter((x) => x.identity === 'a');
      },
    };
    ta.sever(); // 'a' dies without a goodbye: its request comes back undeliverable and is re-dispatched
    const err = await m.request('/svc/who', null, { selector: picky }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NANITE_ERR_SELECTOR' });
    expect(m.stats).toMatchObject({ pending: 0, selectorFaults: 1 });
  });

  test('push() with a faulty selector rejects with NANITE_ERR_SELECTOR and sends nothing', async () => {
    const m = await cluster();
    await expect(m.push('/svc/who', null, { selector: () => { throw new Error('boom'); } })).rejects.toMatchObject({ code: 'NANITE_ERR_SELECTOR' });
    await flush();
    expect(runs).toEqual([]);
  });

  test('a selector may return copies of the views it got', async () => {
    const m = await cluster();
    await expect(m.request('/svc/who', null, { selector: (cands) => ({ ...cands.find((x) => x.identity === 'b')! }) })).resolves.toBe('b');
    expect(m.stats.selectorFaults).toBe(0);
  });
});

describe('fan-out', () => {
  test('call() with a fan-out selector rejects before any handler runs', async () => {
    const m = await cluster();
    const fanOut: Selector = { fanOut: true, select: (cands) => cands };
    await expect(m.call('/svc/who', null, { selector: 'all' })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(m.call('/svc/who', null, { selector: fanOut })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await flush();
    expect(runs).toEqual([]);
    expect(m.stats.pending).toBe(0);
  });

  test('a fan-out selector that returns an unknown agent fails before any leg is sent', async () => {
    const m = await cluster();
    const liar: Selector = { fanOut: true, select: (cands) => [...cands, { ...cands[0]!, identity: 'ghost' }] };
    await expect(m.request('/svc/who', null, { selector: liar })).rejects.toMatchObject({ code: 'NANITE_ERR_SELECTOR', data: { reason: 'not-candidate' } });
    await flush();
    expect(runs).toEqual([]);
    expect(m.stats).toMatchObject({ pending: 0, selectorFaults: 1 });
  });

  test('a fan-out selector that names an agent twice reaches it once', async () => {
    const m = await cluster();
    const twice: Selector = { fanOut: true, select: (cands) => [cands[0]!, cands[0]!] };
    await expect(m.request('/svc/who', null, { selector: twice })).resolves.toEqual({ a: { ok: true, result: 'a' } });
    expect(runs).toEqual(['a']);
  });
});

describe('listeners', () => {
  test('a throwing or rejecting event listener is counted and logged once; the others still hear the event', async () => {
    const m = c.mapper();
    const heard: string[] = [];
    m.on('agent:up', () => { throw new Error('listener bug'); });
    m.on('agent:up', async () => { throw new Error('async listener bug'); });
    m.on('agent:up', (a) => heard.push(a.identity));
    m.on('agent:update', () => { throw new Error('update bug'); });
    await m.start();
    await flush();
    await c.agent({ identity: 'a', actors: [actor()] }).start();
    await c.agent({ identity: 'b', actors: [actor()] }).start();
    await flush();
    jest.advanceTimersByTime(1_000); // pings: agent:update listeners run from the transport callback
    await flush();
    expect(heard).toEqual(['a', 'b']);
    expect(m.stats.listenerFaults).toBeGreaterThanOrEqual(6);
    const logged = c.logger.lines.filter((l) => l.level === 'error' && /listener threw/.test(l.msg ?? ''));
    expect(logged.map((l) => (l.obj as { event: string }).event).sort()).toEqual(['agent:up', 'agent:update']);
    await expect(m.request('/svc/who')).resolves.toMatch(/^[ab]$/);
  });

  test('a throwing onProgress listener does not lose the result; it is counted and logged once', async () => {
    const m = await cluster(['a']);
    const onProgress = () => { throw new Error('progress bug'); };
    await expect(m.request('/svc/steps', null, { onProgress })).resolves.toBe('done');
    await expect(m.request('/svc/steps', null, { onProgress })).resolves.toBe('done');
    expect(m.stats.listenerFaults).toBe(2);
    expect(c.logger.lines.filter((l) => /onProgress listener threw/.test(l.msg ?? ''))).toHaveLength(1);
  });

  test('an async onProgress listener that rejects is counted like one that throws, never an unhandled rejection', async () => {
    const m = await cluster(['a']);
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const onProgress = async () => { throw new Error('async progress bug'); };
      await expect(m.request('/svc/steps', null, { onProgress })).resolves.toBe('done');
      await new Promise((r) => setImmediate(r));
      expect(m.stats.listenerFaults).toBe(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('after close', () => {
  test('waitForAgents() on a closed mapper rejects at once with NANITE_ERR_SHUTTING_DOWN', async () => {
    const m = c.mapper({ discoveryWindow: 0 });
    await m.start();
    await m.close();
    const t0 = Date.now();
    await expect(m.waitForAgents({ timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    expect(Date.now() - t0).toBeLessThan(50);
  });

  test('what waits for an agent when the mapper closes fails with NANITE_ERR_SHUTTING_DOWN at once, while it still drains what an agent holds', async () => {
    let release: (v: string) => void = () => undefined;
    const gate = new Promise<string>((r) => (release = r));
    const a = c.agent({ identity: 'a', actors: [defineActor('held', { work: () => gate })] });
    await a.start();
    const m = c.mapper({ discoveryWindow: 5_000 });
    await m.start();
    await m.waitForAgents({ route: '/held/work' });
    const held = m.request<string>('/held/work', null, { timeout: 60_000 });
    await flush();
    const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'fulfilled', (e: NaniteError) => `${e.code}: ${e.message}`);
    const waiting = [
      outcome(m.push('/nobody/yet', 1, { selector: 'all' })),
      outcome(m.push('/nobody/yet', 1)),
      outcome(m.request('/nobody/yet', 1, { timeout: 5_000 })),
      outcome(m.waitForAgents({ route: '/nobody/yet', timeout: 5_000 })),
    ];
    await flush();
    let closed = false;
    const closing = m.close().then(() => (closed = true));
    // No timer moves (fake timers): they settle on the close itself, not on a deadline or the drain's end.
    for (const o of await Promise.all(waiting)) expect(o).toMatch(/^NANITE_ERR_SHUTTING_DOWN: /);
    expect(closed).toBe(false); // the held request is still being drained
    release('done');
    await expect(held).resolves.toBe('done');
    await closing;
  });
});
