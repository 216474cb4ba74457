import { NaniteError, defineActor, type RequestContext, type AgentView } from '../src';
import { TestCluster, closeCluster, deferred, flush, useFakeTimers } from './helpers';

const echo = (name = 'svc') => defineActor(name, {
  who: (_p: unknown, ctx: RequestContext) => ctx.agent,
  echo: { handler: (p: unknown) => p, idempotent: true },
});

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => closeCluster(c));

async function startAgents(ids: string[], extra: Partial<Parameters<TestCluster['agent']>[0]> = {}) {
  const agents = ids.map((identity) => c.agent({ identity, actors: [echo()], ...extra }));
  for (const a of agents) await a.start();
  return agents;
}

describe('dispatch', () => {
  test('fails at once with NANITE_ERR_NO_AGENT when nobody serves the route', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    await startAgents(['a']);
    const err = await m.request('/nobody/home').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NaniteError);
    expect(err).toMatchObject({ code: 'NANITE_ERR_NO_AGENT', retryable: true, data: { route: '/nobody/home' } });
    expect((err as Error).message).toMatch(/no live agent serves \/nobody\/home/);
  });

  test('a request made right after start waits for the cluster to answer the Advertise', async () => {
    await startAgents(['a']);
    const m = c.mapper({ discoveryWindow: 500 });
    await m.start();
    await flush();
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });

  test('a request made right after the mapper is back from an outage waits for the cluster to answer its new Advertise', async () => {
    const t = c.transport();
    const m = c.mapper({ discoveryWindow: 200 }, t);
    await m.start();
    await new Promise((r) => setTimeout(r, 250)); // the window of the start has closed
    t.disconnect();
    await startAgents(['a']); // its Register is lost: the mapper's connection is down
    t.reconnect();
    await Promise.resolve(); // the mapper learns it is back (and Advertises)
    await expect(m.request('/svc/who')).resolves.toBe('a');
    // Once that window has closed too, no agent means NANITE_ERR_NO_AGENT at once again.
    await new Promise((r) => setTimeout(r, 250));
    await expect(m.request('/nobody/home')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });

  test('without a start, or after close, calls fail with clear codes', async () => {
    const m = c.mapper();
    await expect(m.request('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_STARTED' });
    await m.start();
    await flush();
    await m.close();
    await expect(m.request('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    await expect(m.push('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
  });

  test('call() tells which agent answered', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    await startAgents(['only']);
    await expect(m.call('/svc/echo', 42)).resolves.toEqual({ result: 42, agent: 'only', attempts: 1 });
  });

  test('least_loaded follows the status the agents report', async () => {
    let busy = 0.9;
    const a = c.agent({ identity: 'busy', actors: [echo()], status: () => busy });
    const b = c.agent({ identity: 'idle', actors: [echo()], status: () => 0.1 });
    const m = c.mapper();
    await m.start();
    await flush();
    await a.start();
    await b.start();
    for (let i = 0; i < 5; i++) expect(await m.request('/svc/who')).toBe('idle');
    busy = 0;
    // The new status travels with the next heartbeat (adding an actor re-registers at once).
    a.addActor(defineActor('other', { x: () => 1 }));
    await flush();
    expect(await m.request('/svc/who')).toBe('busy');
  });

  test('least_loaded spreads a burst sent between two pings', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    // Handlers that wait a turn of the event loop, so the whole burst is in flight at once (a
    // synchronous handler on memory:// runs to completion inside request(): no burst to spread).
    const who = defineActor('svc', { who: async (_p: unknown, ctx: RequestContext) => { await new Promise((r) => setImmediate(r)); return ctx.agent; } });
    await startAgents(['a', 'b', 'c'], { concurrency: 4, status: () => 0, actors: [who] });
    const results = await Promise.all(Array.from({ length: 30 }, () => m.request<string>('/svc/who')));
    const counts = results.reduce<Record<string, number>>((acc, id) => ({ ...acc, [id]: (acc[id] ?? 0) + 1 }), {});
    expect(Object.values(counts).sort()).toEqual([10, 10, 10]);
  });

  test('round_robin, random and a custom selector function', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    await startAgents(['a', 'b', 'c']);
    const rr = [];
    for (let i = 0; i < 6; i++) rr.push(await m.request('/svc/who', null, { selector: 'round_robin' }));
    expect(rr).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    const seen = new Set();
    for (let i = 0; i < 60; i++) seen.add(await m.request('/svc/who', null, { selector: 'random' }));
    expect(seen).toEqual(new Set(['a', 'b', 'c']));
    const byPayload = (cands: readonly AgentView[], req: { payload: unknown }) => cands.find((x) => x.identity === req.payload);
    expect(await m.request('/svc/who', 'b', { selector: byPayload })).toBe('b');
    expect(await m.request('/svc/who', 'c', { selector: { select: (cands) => cands.filter((x) => x.identity === 'c') } })).toBe('c');
    await expect(m.request('/svc/who', 'zz', { selector: byPayload })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });

  test('a custom default selector applies to every request', async () => {
    const m = c.mapper({ selector: (cands) => cands.find((x) => x.identity === 'b') });
    await m.start();
    await flush();
    await startAgents(['a', 'b']);
    expect(await m.request('/svc/who')).toBe('b');
  });

  test('all fans out and gathers one outcome per agent identity, errors included', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    await startAgents(['a', 'b']);
    const flaky = c.agent({ identity: 'f', actors: [defineActor('svc', { who: () => { throw new Error('nope'); }, echo: (p) => p })] });
    await flaky.start();
    const all = await m.request<string>('/svc/who', null, { selector: 'all' });
    expect(Object.keys(all).sort()).toEqual(['a', 'b', 'f']);
    expect(all.a).toEqual({ ok: true, result: 'a' });
    expect(all.f).toMatchObject({ ok: false, error: { code: 'NANITE_ERR_HANDLER', message: 'nope' } });
    expect(all.f!.ok ? null : all.f!.error).toBeInstanceOf(NaniteError);
  });

  test('target and tags narrow the candidates', async () => {
    const m = c.mapper();
    await m.start();
    await flush();
    await startAgents(['eu1'], { tags: ['eu', 'gpu'] });
    await startAgents(['eu2'], { tags: ['eu'] });
    await startAgents(['us1'], { tags: ['us', 'gpu'] });
    expect(await m.request('/svc/who', null, { target: 'us1' })).toBe('us1');
    expect(await m.request('/svc/who', null, { tags: ['eu', 'gpu'] })).toBe('eu1');
    const eu = await m.request('/svc/who', null, { tags: ['eu'], selector: 'all' });
    expect(Object.keys(eu).sort()).toEqual(['eu1', 'eu2']);
    await expect(m.request('/svc/who', null, { target: 'nobody' })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT', data: { target: 'nobody' } });
    await expect(m.request('/svc/who', null, { tags: ['asia'] })).rejects.toThrow(/none of the 3 agent\(s\) serving \/svc\/who matches tags \[asia\]/);
  });

  test('push is fire-and-forget and reaches one agent, or every agent with all', async () => {
    const got: string[] = [];
    for (const identity of ['a', 'b']) {
      await c.agent({ identity, actors: [defineActor('log', { write: (p: unknown, ctx: RequestContext) => void got.push(`${ctx.agent}:${String(p)}`) })] }).start();
    }
    const m = c.mapper();
    await m.start();
    await flush();
    await expect(m.push('/log/write', 'one')).resolves.toBeUndefined();
    await m.push('/log/write', 'two', { selector: 'all' });
    await flush();
    expect(got.filter((g) => g.endsWith('one'))).toHaveLength(1);
    expect(got.filter((g) => g.endsWith('two')).sort()).toEqual(['a:two', 'b:two']);
    await expect(m.push('/log/none')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });
});

describe('handlers', () => {
  test('a thrown error reaches the caller as a structured error and the agent keeps going', async () => {
    class Insufficient extends Error {
      override name = 'InsufficientFunds';
      code = 'E_FUNDS';
      data = { balance: 3 };
    }
    const a = c.agent({ identity: 'a', actors: [defineActor('bank', { pay: () => { throw new Insufficient('balance too low'); }, ok: async () => 'ok' })] });
    const m = c.mapper();
    await a.start();
    await m.start();
    await flush();
    const err = await m.request('/bank/pay', 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NaniteError);
    expect((err as NaniteError).toJSON()).toEqual({
      code: 'NANITE_ERR_HANDLER', message: 'balance too low', retryable: false,
      data: { name: 'InsufficientFunds', message: 'balance too low', code: 'E_FUNDS', data: { balance: 3 } },
    });
    await expect(m.request('/bank/ok')).resolves.toBe('ok');
    expect(a.stats).toMatchObject({ handled: 2, failed: 1 });
  });

  test('a NaniteError thrown by a handler keeps its code', async () => {
    const a = c.agent({ identity: 'a', actors: [defineActor('v', { check: () => { throw new NaniteError('NANITE_ERR_VALIDATION', { data: ['name is required'] }); } })] });
    const m = c.mapper();
    await a.start();
    await m.start();
    await flush();
    await expect(m.request('/v/check')).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', data: ['name is required'] });
  });

  test('progress arrives in order, before the result, tagged with the agent', async () => {
    const a = c.agent({ identity: 'worker', actors: [defineActor('job', {
      run: async (n: unknown, ctx: RequestContext) => {
        for (let i = 1; i <= (n as number); i++) {
          ctx.progress('percent', (100 * i) / (n as number));
          await Promise.resolve();
        }
        ctx.progress('phase', 'done');
        return 'finished';
      },
    })] });
    const m = c.mapper();
    await a.start();
    await m.start();
    await flush();
    const events: unknown[] = [];
    const result = await m.request('/job/run', 4, { onProgress: (key, value, agent) => events.push([key, value, agent]) });
    events.push(result);
    expect(events).toEqual([
      ['percent', 25, 'worker'], ['percent', 50, 'worker'], ['percent', 75, 'worker'], ['percent', 100, 'worker'], ['phase', 'done', 'worker'], 'finished',
    ]);
  });

  test('an agent that does not serve the route answers NANITE_ERR_UNKNOWN_ROUTE, and the mapper moves the request', async () => {
    const a = c.agent({ identity: 'a', actors: [echo()] });
    const b = c.agent({ identity: 'b', actors: [echo()] });
    const m = c.mapper();
    await a.start();
    await b.start();
    await m.start();
    await flush();
    // A rogue transport bypassing the mapper shows the agent's own answer.
    const raw = c.transport();
    await raw.connect();
    const replies: unknown[] = [];
    const link = await raw.openMapper('raw', { onPacket: (p) => replies.push(p), onMalformed: () => undefined, onUndeliverable: () => undefined });
    link.send('a', { v: 1, type: 'request', id: 1, route: '/svc/missing', payload: null, replyTo: 'raw', timeout: 0, hops: 0 });
    await flush();
    expect(replies).toEqual([expect.objectContaining({ type: 'result', ok: false, error: expect.objectContaining({ code: 'NANITE_ERR_UNKNOWN_ROUTE' }) })]);
    await raw.close();
  });
});

describe('timeouts and cancellation', () => {
  test('a timeout rejects with NANITE_ERR_TIMEOUT and aborts the handler\'s signal', async () => {
    useFakeTimers();
    const aborted = deferred<unknown>();
    const a = c.agent({ identity: 'a', actors: [defineActor('slow', {
      op: (_p: unknown, ctx: RequestContext) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => { aborted.resolve(ctx.signal.reason); reject(ctx.signal.reason); })),
    })] });
    const m = c.mapper();
    await a.start();
    await m.start();
    await flush();
    const p = m.request('/slow/op', null, { timeout: 250 });
    const settled = jest.fn();
    p.catch(settled);
    await flush();
    expect(a.inFlight).toBe(1);
    jest.advanceTimersByTime(249);
    await flush();
    expect(settled).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT', data: { route: '/slow/op', agent: 'a', timeout: 250 } });
    await expect(aborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await flush();
    expect(a.inFlight).toBe(0);
    expect(m.stats.pending).toBe(0);
  });

  test('the default timeout applies; a deadline in the past fails at once', async () => {
    useFakeTimers();
    const a = c.agent({ identity: 'a', actors: [defineActor('never', { op: () => new Promise(() => undefined) })] });
    const m = c.mapper({ timeout: 1000 });
    await a.start();
    await m.start();
    await flush();
    const p = m.request('/never/op');
    jest.advanceTimersByTime(1000);
    await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await expect(m.request('/never/op', null, { deadline: Date.now() - 1 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
  });

  test('the caller\'s AbortSignal cancels the request and aborts the remote handler', async () => {
    const reason = deferred<unknown>();
    const a = c.agent({ identity: 'a', actors: [defineActor('slow', {
      op: (_p: unknown, ctx: RequestContext) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => { reason.resolve(ctx.signal.reason); resolve('late'); })),
    })] });
    const m = c.mapper();
    await a.start();
    await m.start();
    await flush();
    const ac = new AbortController();
    const p = m.request('/slow/op', null, { signal: ac.signal });
    await flush();
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    await expect(reason.promise).resolves.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    await expect(m.request('/slow/op', null, { signal: ac.signal })).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  });
});

describe('liveness', () => {
  test('an agent cut off by a partition is reaped; when its pings come back it is asked to re-register', async () => {
    useFakeTimers();
    const t = c.transport();
    const a = c.agent({ identity: 'a', actors: [echo()], pingInterval: 1000 }, t);
    const m = await c.startedMapper({ reapInterval: 500 });
    const events: string[] = [];
    m.on('agent:down', (v, why) => events.push(`down ${v.identity} ${why}`));
    m.on('agent:up', (v) => events.push(`up ${v.identity}`));
    await a.start();
    await flush();
    t.partition();
    for (let i = 0; i < 8; i++) {
      jest.advanceTimersByTime(500);
      await flush();
    }
    expect(events).toEqual(['up a', 'down a timeout']);
    expect(m.agents()).toEqual([]);
    await expect(m.request('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    t.heal();
    jest.advanceTimersByTime(1000); // the next ping reaches a mapper that no longer knows a: Advertise, Register
    await flush();
    expect(events).toEqual(['up a', 'down a timeout', 'up a']);
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });

  test('an agent that dies is reaped, and rejoins when it restarts with the same identity', async () => {
    useFakeTimers();
    const t = c.transport();
    await c.agent({ identity: 'a', actors: [echo()], pingInterval: 1000 }, t).start();
    const m = await c.startedMapper({ reapInterval: 500 });
    t.sever();
    for (let i = 0; i < 8; i++) {
      jest.advanceTimersByTime(500);
      await flush();
    }
    expect(m.agents()).toEqual([]);
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    await flush();
    await expect(m.call('/svc/who')).resolves.toMatchObject({ result: 'a', agent: 'a' });
  });

  test('a mapper started late learns every agent from one Advertise, not after a ping interval', async () => {
    await startAgents(['a', 'b', 'c'], { pingInterval: 60_000 });
    const m = c.mapper();
    const ups: string[] = [];
    m.on('agent:up', (v) => ups.push(v.identity));
    await m.start();
    await flush();
    await flush();
    expect(ups.sort()).toEqual(['a', 'b', 'c']);
    expect(m.agents().find((x) => x.identity === 'a')).toMatchObject({ routes: ['/svc/who', '/svc/echo'], concurrency: 64, pingInterval: 60_000 });
  });

  test('a clean stop unregisters; requests keep succeeding on the others', async () => {
    const [a] = await startAgents(['a', 'b']);
    const m = c.mapper();
    await m.start();
    await flush();
    const downs: string[] = [];
    m.on('agent:down', (v, why) => downs.push(`${v.identity}:${why}`));
    const inflight = Array.from({ length: 20 }, () => m.request('/svc/who', null, { selector: 'round_robin' }));
    await a!.stop();
    const after = await Promise.all(Array.from({ length: 10 }, () => m.request('/svc/who')));
    expect((await Promise.all(inflight)).length).toBe(20);
    expect(after.every((x) => x === 'b')).toBe(true);
    expect(downs).toEqual(['a:unregistered']);
  });

  test('requests sent to an agent that stopped taking work are re-dispatched, never lost', async () => {
    const [a] = await startAgents(['a', 'b']);
    const m = c.mapper();
    await m.start();
    await flush();
    const stopping = a!.stop(); // pauses at once; its UnRegister comes after the drain
    const answers = await Promise.all(Array.from({ length: 10 }, () => m.call('/svc/who', null, { selector: 'round_robin' })));
    await stopping;
    expect(answers.every((r) => r.result === 'b')).toBe(true);
    expect(m.stats.redispatched).toBeGreaterThan(0);
  });

  test('when an agent is lost mid-request: idempotent requests move, others fail with NANITE_ERR_AGENT_LOST', async () => {
    useFakeTimers();
    const hang = defineActor('work', {
      safe: { handler: () => new Promise(() => undefined), idempotent: true },
      unsafe: () => new Promise(() => undefined),
    });
    const helper = defineActor('work', { safe: { handler: () => 'moved', idempotent: true }, unsafe: () => 'moved' });
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [hang], pingInterval: 1000 }, ta).start();
    const m = await c.startedMapper({ reapInterval: 100, timeout: 60_000 });
    const safe = m.call('/work/safe', null);
    const unsafe = m.call('/work/unsafe', null);
    const unsafeOverride = m.call('/work/unsafe', null, { idempotent: true });
    await flush();
    await c.agent({ identity: 'b', actors: [helper], pingInterval: 1000 }).start();
    // a dies silently (no UnRegister) while running the three requests; b keeps pinging.
    ta.sever();
    for (let t = 0; t < 35; t++) {
      jest.advanceTimersByTime(100);
      await flush();
    }
    await expect(safe).resolves.toEqual({ result: 'moved', agent: 'b', attempts: 2 });
    await expect(unsafeOverride).resolves.toMatchObject({ result: 'moved', agent: 'b' });
    await expect(unsafe).rejects.toMatchObject({ code: 'NANITE_ERR_AGENT_LOST', data: { route: '/work/unsafe', agent: 'a', reason: 'timeout' } });
  });
});

describe('failover window', () => {
  const hang = defineActor('work', { safe: { handler: () => new Promise(() => undefined), idempotent: true } });
  const helper = defineActor('work', { safe: { handler: () => 'moved', idempotent: true } });

  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 100) {
      jest.advanceTimersByTime(100);
      await flush();
    }
  }

  /** Agent `a` holding one idempotent request of the returned mapper, then dying silently; resolves once the mapper dropped it. */
  async function lostRequest(options: { failoverWindow?: number } = {}) {
    useFakeTimers();
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [hang], pingInterval: 1_000 }, ta).start();
    const m = await c.startedMapper({ reapInterval: 100, timeout: 60_000, ...options });
    const settled: { at?: number; value?: unknown } = {};
    const req = m.call('/work/safe', null).then(
      (r) => Object.assign(settled, { at: Date.now(), value: r }),
      (e: unknown) => Object.assign(settled, { at: Date.now(), value: e }),
    );
    await flush();
    let droppedAt = 0;
    m.on('agent:down', () => (droppedAt = Date.now()));
    ta.sever();
    while (droppedAt === 0) await advance(100);
    return { m, settled, req, droppedAt };
  }

  test('a request moving off a lost agent with no other one waits for an agent to appear, and gets it', async () => {
    const { settled, req } = await lostRequest();
    await advance(1_000);
    expect(settled.at).toBeUndefined();
    await c.agent({ identity: 'b', actors: [helper], pingInterval: 1_000 }).start();
    await advance(100);
    await req;
    expect(settled.value).toEqual({ result: 'moved', agent: 'b', attempts: 2 });
  });

  test('when none comes within the window (default 2 s) it fails with NANITE_ERR_NO_AGENT, naming the agent it tried; failoverWindow: 0 fails at once', async () => {
    const waited = await lostRequest();
    await advance(3_000);
    await waited.req;
    expect(waited.settled.value).toMatchObject({ code: 'NANITE_ERR_NO_AGENT', data: { route: '/work/safe', tried: ['a'] } });
    expect(waited.settled.at! - waited.droppedAt).toBe(2_000);
    await closeCluster(c);

    c = new TestCluster();
    const at = await lostRequest({ failoverWindow: 0 });
    await at.req;
    expect(at.settled.value).toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    expect(at.settled.at).toBe(at.droppedAt);
  });

  test('a failoverWindow (or discoveryWindow) that is not a number of ms is refused with a clear code', () => {
    for (const bad of [-1, Number.NaN, Infinity, 2 ** 31, '500' as unknown as number]) {
      expect(() => c.mapper({ failoverWindow: bad })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('failoverWindow') }));
      expect(() => c.mapper({ discoveryWindow: bad })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('discoveryWindow') }));
    }
  });

  test('an agent the request was lost on is tried again once it left dispatch and came back (it re-attached, or was taken out by mistake)', async () => {
    useFakeTimers();
    const ta = c.transport();
    const a = c.agent({ identity: 'a', actors: [hang], pingInterval: 1_000 }, ta);
    await a.start();
    const m = await c.startedMapper({ reapInterval: 100, timeout: 60_000 });
    const req = m.call('/work/safe', null);
    await flush();
    ta.sever();
    let dropped = false;
    m.on('agent:down', () => (dropped = true));
    while (!dropped) await advance(100);
    // The same identity back (a restart, a re-attach elsewhere), now answering.
    await c.agent({ identity: 'a', actors: [helper], pingInterval: 1_000 }).start();
    await advance(100);
    await expect(req).resolves.toEqual({ result: 'moved', agent: 'a', attempts: 2 });
  });
});

describe('hops and close', () => {
  test('a request past maxHops fails with NANITE_ERR_HOP_LIMIT', async () => {
    const m = c.mapper({ maxHops: 3 });
    await m.start();
    await flush();
    await startAgents(['a']);
    await expect(m.request('/svc/who', null, { hops: 3 })).resolves.toBe('a');
    await expect(m.request('/svc/who', null, { hops: 4 })).rejects.toMatchObject({ code: 'NANITE_ERR_HOP_LIMIT', data: { hops: 4, maxHops: 3 } });
  });

  test('close waits for pending requests, then fails what is left after drainTimeout', async () => {
    useFakeTimers();
    const gate = deferred<string>();
    const a = c.agent({ identity: 'a', actors: [defineActor('g', { wait: () => gate.promise, never: () => new Promise(() => undefined) })], drainTimeout: 50 });
    const m = c.mapper({ drainTimeout: 1000 });
    await a.start();
    await m.start();
    await flush();
    const done = m.request('/g/wait');
    const never = m.request('/g/never');
    never.catch(() => undefined); // asserted below
    await flush();
    const closing = m.close();
    await expect(m.request('/g/wait')).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    gate.resolve('finished');
    await expect(done).resolves.toBe('finished');
    jest.advanceTimersByTime(1000);
    await closing;
    await expect(never).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
  });

  test('persistent requests wait for an agent to appear instead of failing', async () => {
    const m = c.mapper({ persistentTtl: 5_000 });
    await m.start();
    await flush();
    const p = m.request('/svc/who', null, { persistent: true });
    await flush();
    await startAgents(['late']);
    await expect(p).resolves.toBe('late');
  });
});

test('close() while start() is still connecting waits for it and leaves nothing running', async () => {
  const m = c.mapper();
  const starting = m.start();
  const closing = m.close();
  await starting;
  await closing;
  expect(m.isRunning).toBe(false);
  await expect(m.request('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
});

test('a fan-out right after start waits out the discovery window, then reaches every agent', async () => {
  await startAgents(['a', 'b']);
  const m = c.mapper({ discoveryWindow: 200 });
  await m.start();
  const all = m.request('/svc/who', null, { selector: 'all' });
  await new Promise((r) => setTimeout(r, 20));
  await startAgents(['late']); // answers the Advertise late, but inside the window
  await expect(all).resolves.toEqual({ a: { ok: true, result: 'a' }, b: { ok: true, result: 'b' }, late: { ok: true, result: 'late' } });
});

test('a push right after start waits for an agent instead of failing', async () => {
  const got = deferred<string>();
  const m = c.mapper({ discoveryWindow: 200 });
  await m.start();
  const pushed = m.push('/log/write', 'early');
  await new Promise((r) => setTimeout(r, 20));
  await c.agent({ identity: 'l', actors: [defineActor('log', { write: (p: unknown) => got.resolve(p as string) })] }).start();
  await expect(pushed).resolves.toBeUndefined();
  await expect(got.promise).resolves.toBe('early');
});

test('typed() returns the mapper itself, and ctx.typed() the context: typed views cost nothing at run time', async () => {
  const m = c.mapper({ discoveryWindow: 500 });
  expect(m.typed()).toBe(m);
  let same: boolean | undefined;
  await c.agent({ identity: 'v', actors: [defineActor('view', { same: (_p: unknown, ctx: RequestContext) => { same = ctx.typed() === ctx; return same; } })] }).start();
  await m.start();
  await expect(m.request('/view/same')).resolves.toBe(true);
  expect(same).toBe(true);
});
