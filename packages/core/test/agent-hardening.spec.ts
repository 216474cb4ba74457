// Issue #10, agent side, on memory://: user code is guarded, what cannot cross the wire fails at
// once, expired work is not run, the waiting queue is bounded and a stop sheds it in one pass.
import { Agent, MemoryTransport, NaniteError, defineActor, type MapperLink, type Transport, type RequestContext, type RequestPacket, type ResultPacket } from '../src';
import { TestCluster, closeCluster, deferred, flush, useFakeTimers } from './helpers';

let c: TestCluster;
let raw: { link: MapperLink; results: ResultPacket[]; transport: MemoryTransport } | undefined;
const closers: Array<() => Promise<void>> = [];
beforeEach(() => { c = new TestCluster(); raw = undefined; });
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await raw?.transport.close();
  await closeCluster(c);
});

/** A bare mapper link, to send hand-made packets and see exactly what the agent answers. */
async function rawMapper(): Promise<NonNullable<typeof raw>> {
  const transport = c.transport();
  await transport.connect();
  const results: ResultPacket[] = [];
  const link = await transport.openMapper('raw', {
    onPacket: (p) => { if ((p as { type?: string }).type === 'result') results.push(p as ResultPacket); },
    onMalformed: () => undefined,
    onUndeliverable: () => undefined,
  });
  raw = { link, results, transport };
  return raw;
}

function req(id: number, route: string, extra: Partial<RequestPacket> = {}): RequestPacket {
  return { v: 1, type: 'request', id, route, payload: id, replyTo: 'raw', timeout: 0, hops: 0, ...extra };
}

describe('user code is guarded', () => {
  test('a throwing status function does not kill the agent: it keeps pinging the last good status, warns once, counts', async () => {
    useFakeTimers();
    let mode: 'ok' | 'throw' = 'ok';
    const a = c.agent({ identity: 'a', pingInterval: 1_000, status: () => { if (mode === 'throw') throw new Error('sensor gone'); return 0.25; }, actors: [defineActor('x', { y: () => 1 })] });
    const m = await c.startedMapper({ agentTimeout: 2_500 });
    await a.start();
    await flush();
    mode = 'throw';
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(1_000);
      await flush();
    }
    // Still pinging (a silent agent would have been dropped after 2.5 s), with the last good status.
    expect(m.agents()).toEqual([expect.objectContaining({ identity: 'a', status: 0.25 })]);
    await expect(m.request('/x/y')).resolves.toBe(1);
    expect(c.logger.warnings().filter((w) => w.startsWith('status function threw'))).toHaveLength(1);
    expect(a.stats.statusFaults).toBe(6); // five pings, and the status piggybacked on the one result
  });

  test('a status function that throws from the start advertises the default status', async () => {
    const a = c.agent({ identity: 'a', status: () => { throw 'nope'; }, actors: [defineActor('x', { y: () => 1 })] });
    const m = await c.startedMapper();
    await a.start();
    await flush();
    expect(m.agents()[0]!.status).toBeGreaterThanOrEqual(0);
    expect(m.agents()[0]!.status).toBeLessThanOrEqual(1);
    expect(a.stats.statusFaults).toBe(1);
  });

  test.each([
    ['a string', () => 'plain words', 'plain words', { type: 'string', value: 'plain words' }],
    ['null', () => null, 'The handler threw a non-Error value: null', { type: 'null', value: null }],
    ['undefined', () => undefined, 'The handler threw a non-Error value: undefined', { type: 'undefined' }],
    ['a plain object', () => ({ reason: 'quota', left: 0 }), 'The handler threw a non-Error value: {"reason":"quota","left":0}', { type: 'object' }],
    ['an object with a message', () => ({ message: 'custom failure' }), 'The handler threw a non-Error value: custom failure', { type: 'object' }],
    ['a null-prototype object', () => Object.create(null) as object, 'The handler threw a non-Error value: {}', { type: 'object' }],
    ['a cyclic object', () => { const o: Record<string, unknown> = {}; o.self = o; return o; }, 'The handler threw a non-Error value: [object Object]', { type: 'object' }],
    ['a symbol', () => Symbol('oops'), 'The handler threw a non-Error value: Symbol(oops)', { type: 'symbol' }],
    ['a BigInt', () => 10n, 'The handler threw a non-Error value: 10', { type: 'bigint' }],
  ])('a handler throwing %s: the caller gets NANITE_ERR_HANDLER with a readable message at once', async (_what, make, message, data) => {
    const a = c.agent({ identity: 'a', actors: [defineActor('t', { sync: () => { throw make(); }, async: async () => { throw make(); } })] });
    await a.start();
    const m = await c.startedMapper();
    for (const route of ['/t/sync', '/t/async']) {
      const err = await m.request(route, null, { timeout: 60_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NaniteError);
      expect(err).toMatchObject({ code: 'NANITE_ERR_HANDLER', message, data });
    }
    expect(a.stats).toMatchObject({ handled: 2, failed: 2 });
  });
});

describe('what a handler returns is user code too', () => {
  const unreadable = (): Error => {
    const e = new Error('x');
    Object.defineProperty(e, 'message', { get() { throw new Error('getter boom'); } });
    return e;
  };

  test('an Error whose message getter throws: NANITE_ERR_HANDLER at once (the async case used to kill the process with an unhandled rejection)', async () => {
    const a = c.agent({ identity: 'a', actors: [defineActor('t', { sync: () => { throw unreadable(); }, async: async () => { throw unreadable(); } })] });
    await a.start();
    const m = await c.startedMapper();
    for (const route of ['/t/sync', '/t/async']) {
      await expect(m.request(route, null, { timeout: 60_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'The handler threw an Error whose fields could not be read' });
    }
    expect(a.stats).toMatchObject({ handled: 2, failed: 2 });
  });

  test.each([
    ['a then getter that throws', () => ({ get then(): unknown { throw new Error('then getter'); } })],
    ['a then() that throws', () => ({ then() { throw new Error('then threw'); } })],
    ['a Symbol.asyncIterator getter that throws', () => Promise.resolve({ get [Symbol.asyncIterator](): unknown { throw new Error('iterator getter'); } })],
  ])('a result with %s fails its request with NANITE_ERR_HANDLER and frees the only slot (it used to answer NANITE_ERR_TRANSPORT and hold the slot)', async (_what, make) => {
    const a = c.agent({ identity: 'a', concurrency: 1, actors: [defineActor('t', { weird: make, ok: () => 'fine' })] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/t/weird', null, { timeout: 60_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });
    await expect(m.request('/t/ok', null, { timeout: 60_000 })).resolves.toBe('fine');
    expect(a.inFlight).toBe(0);
  });

  test('a thenable that calls back twice settles its request once', async () => {
    const a = c.agent({ identity: 'a', concurrency: 1, actors: [defineActor('t', {
      twice: () => ({ then(ok: (v: unknown) => void, fail: (e: unknown) => void) { ok('first'); ok('second'); fail(new Error('third')); } }),
      ok: () => 'fine',
    })] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/t/twice', null, { timeout: 60_000 })).resolves.toBe('first');
    await expect(m.request('/t/ok', null, { timeout: 60_000 })).resolves.toBe('fine');
    expect(a.stats).toMatchObject({ handled: 2, failed: 0 });
    expect(a.inFlight).toBe(0);
  });
});

describe('what cannot cross the wire fails at once, as NANITE_ERR_PAYLOAD', () => {
  const cyclic = (): unknown => { const o: Record<string, unknown> = { a: 1 }; o.me = o; return o; };
  const deep = (n: number): unknown => { let v: unknown = 0; for (let i = 0; i < n; i++) v = [v]; return v; };

  test.each([
    ['a BigInt', () => ({ total: 10n }), /cannot cross the wire: a BigInt at \$\.total/],
    ['a cyclic object', cyclic, /a cyclic reference at \$\.me/],
    ['a function inside', () => ({ ok: true, fn: () => 1 }), /a function at \$\.fn/],
    ['a symbol inside', () => [1, Symbol('s')], /a symbol at \$\[1\]/],
    ['a too deep value', () => deep(500), /nested deeper than 128 levels/],
  ])('a handler returning %s: the caller gets NANITE_ERR_PAYLOAD, the agent counts a failure', async (_what, make, message) => {
    const a = c.agent({ identity: 'a', actors: [defineActor('r', { bad: () => make() })] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/r/bad', null, { timeout: 60_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', retryable: false, message: expect.stringMatching(message) });
    expect(a.stats).toMatchObject({ handled: 1, failed: 1 });
    expect(c.logger.warnings()).toContain('a result could not cross the wire; the caller got NANITE_ERR_PAYLOAD (further ones of this route are only counted)');
  });

  test('a too large result, by the transport\'s wire limits', async () => {
    const t = new MemoryTransport({ name: c.name, registry: c.registry, wireLimits: { maxBytes: 1_000 } });
    const a = c.agent({ identity: 'a', actors: [defineActor('r', { big: () => 'x'.repeat(2_000), fine: () => 'x'.repeat(500) })] }, t);
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/r/big')).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: expect.stringContaining('too large') });
    await expect(m.request('/r/fine')).resolves.toHaveLength(500);
  });

  test('a progress value that cannot cross fails the request at once and aborts the handler', async () => {
    const aborted = deferred<unknown>();
    const finish = deferred<string>();
    const a = c.agent({ identity: 'a', actors: [defineActor('p', {
      run: async (_p: unknown, ctx: RequestContext) => {
        ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
        ctx.progress('ok', 1);
        ctx.progress('bad', { n: 1n });
        return finish.promise;
      },
    })] });
    await a.start();
    const m = await c.startedMapper();
    const seen: string[] = [];
    const p = m.request('/p/run', null, { timeout: 60_000, onProgress: (k) => seen.push(k) });
    await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: 'The progress value "bad" cannot cross the wire: a BigInt at $.n' });
    await expect(aborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    expect(seen).toEqual(['ok']);
    finish.resolve('too late');
    await flush();
    expect(a.stats).toMatchObject({ handled: 1, failed: 1 });
  });

  test('error data that cannot cross is replaced by a note; the error itself arrives', async () => {
    const a = c.agent({ identity: 'a', actors: [defineActor('e', { fail: () => { throw Object.assign(new Error('denied'), { data: { id: 1n } }); } })] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/e/fail')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'denied', data: { dropped: expect.stringContaining('a BigInt at $.data.id') } });
  });

  test('an error too large to cross arrives at once, its message cut short, never as a timeout', async () => {
    const limits = { maxBytes: 64 * 1024 };
    const big = 'x'.repeat(100_000);
    const a = c.agent({ identity: 'a', actors: [defineActor('e', { fail: () => { throw new Error(big); } })] }, new MemoryTransport({ name: c.name, registry: c.registry, wireLimits: limits }));
    await a.start();
    const m = await c.startedMapper();
    const err = await m.request('/e/fail', null, { timeout: 60_000 }).catch((e: NaniteError) => e);
    expect(err).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { dropped: expect.stringContaining('too large (over 65536 bytes)') } });
    expect((err as NaniteError).message).toBe(`${'x'.repeat(1_024)}… (cut from 100000 characters)`);
    // Even a limit no error fits under still gets the failure to the caller, with its code.
    const tiny = c.agent({ identity: 't', actors: [defineActor('t', { fail: () => { throw new Error(big); } })] }, new MemoryTransport({ name: c.name, registry: c.registry, wireLimits: { maxBytes: 200 } }));
    await tiny.start();
    await m.waitForAgents({ route: '/t/fail', timeout: 5_000 });
    await expect(m.request('/t/fail', null, { timeout: 60_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'The error could not cross the wire' });
  });

  test('a request or push payload that cannot cross is refused to the caller, not sent', async () => {
    const ran = jest.fn();
    const a = c.agent({ identity: 'a', actors: [defineActor('x', { y: ran })] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/x/y', { n: 1n })).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD', message: 'The payload of /x/y cannot cross the wire: a BigInt at $.n' });
    await expect(m.request('/x/y', deep(1_000))).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    await expect(m.push('/x/y', cyclic())).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    await flush();
    expect(ran).not.toHaveBeenCalled();
  });

  test('an unknown error code from a newer peer arrives as a generic code, keeping the original', async () => {
    const t = c.transport();
    await t.connect();
    // A "newer" agent, speaking raw packets.
    const link = await t.openAgent('future', {
      onPacket: (p, settle) => {
        const r = p as RequestPacket;
        if (r.type === 'request') link.reply(r.replyTo, { v: 1, type: 'result', id: r.id, from: 'future', ok: false, error: { code: 'NANITE_ERR_FROM_THE_FUTURE' as never, message: 'newer failure', retryable: true, data: { hint: 1 } } });
        settle();
      },
      onMalformed: () => undefined,
    }, { prefetch: 1 });
    const m = await c.startedMapper();
    link.broadcast({ v: 1, type: 'register', identity: 'future', routes: [{ route: '/f/x', idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 1_000 });
    await flush();
    await expect(m.request('/f/x')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'newer failure', retryable: true, data: { remoteCode: 'NANITE_ERR_FROM_THE_FUTURE', data: { hint: 1 } } });
    expect(m.stats.malformed).toBe(0);
    await t.close();
  });
});

describe('expired work is not run', () => {
  test('the deadline counts the time queued at the broker (sentAt) when plausible, and ignores a skewed clock', async () => {
    const deadlines: number[] = [];
    const a = c.agent({ identity: 'a', actors: [defineActor('d', { see: (_p: unknown, ctx: RequestContext) => { deadlines.push(ctx.deadline); return 1; } })] });
    await a.start();
    const { link, results } = await rawMapper();
    const now = Date.now();
    link.send('a', req(1, '/d/see', { timeout: 10_000, sentAt: now - 4_000 }));
    link.send('a', req(2, '/d/see', { timeout: 10_000, sentAt: now - 60_000 }));  // older than its timeout: skew
    link.send('a', req(3, '/d/see', { timeout: 10_000, sentAt: now + 60_000 }));  // from the future: skew
    link.send('a', req(4, '/d/see', { timeout: 0, sentAt: now - 4_000 }));
    await flush();
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(deadlines[0]).toBe(now + 6_000);
    for (const d of deadlines.slice(1, 3)) {
      expect(d).toBeGreaterThanOrEqual(now + 10_000);
      expect(d).toBeLessThan(now + 11_000);
    }
    expect(deadlines[3]).toBe(Infinity);
  });

  test('a request whose deadline passed while it waited in the agent is answered NANITE_ERR_TIMEOUT without running', async () => {
    useFakeTimers();
    const gate = deferred<string>();
    const ran: number[] = [];
    const a = c.agent({ identity: 'a', concurrency: 1, actors: [defineActor('q', {
      slow: () => gate.promise,
      job: (n: unknown, ctx: RequestContext) => { ran.push(n as number); return ctx.deadline; },
    })] });
    await a.start();
    const { link, results } = await rawMapper();
    const t0 = Date.now();
    link.send('a', req(1, '/q/slow'));
    link.send('a', req(2, '/q/job', { timeout: 500 }));
    link.send('a', { ...req(3, '/q/job', { timeout: 500 }), type: 'push' });
    link.send('a', req(4, '/q/job', { timeout: 5_000 }));
    await flush();
    jest.advanceTimersByTime(1_000);
    gate.resolve('done');
    await flush();
    expect(ran).toEqual([4]);
    expect(results.map((r) => [r.id, r.ok, r.error?.code])).toEqual([[1, true, undefined], [2, false, 'NANITE_ERR_TIMEOUT'], [4, true, undefined]]);
    expect(results[1]!.error).toMatchObject({ message: '/q/job was not started: its 500 ms deadline passed while it was queued', data: { expired: true } });
    // Time spent in the agent's own queue counted too: the deadline is from receipt, not from start.
    expect(results[2]!.result).toBe(t0 + 5_000);
    expect(a.stats).toMatchObject({ expired: 2, handled: 2, failed: 0 });
  });

  test('a request that arrives already expired (sentAt + timeout <= now) never runs', async () => {
    const ran = jest.fn();
    const a = c.agent({ identity: 'a', actors: [defineActor('x', { y: ran })] });
    await a.start();
    const { link, results } = await rawMapper();
    // The clock stands still, so the request arrives exactly at its deadline (a busy machine would
    // otherwise add a millisecond and make the gap look like clock skew, which is ignored).
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    link.send('a', req(1, '/x/y', { timeout: 100, sentAt: now - 100 }));
    await flush();
    clock.mockRestore();
    expect(ran).not.toHaveBeenCalled();
    expect(results).toEqual([expect.objectContaining({ id: 1, ok: false, error: expect.objectContaining({ code: 'NANITE_ERR_TIMEOUT' }) })]);
    expect(a.stats.expired).toBe(1);
  });
});

describe('the waiting queue is bounded', () => {
  test('over maxQueued a request is refused NANITE_ERR_OVERLOADED at once, a push is dropped; one warning per burst', async () => {
    const gate = deferred<string>();
    const ran: number[] = [];
    const a = c.agent({ identity: 'a', concurrency: 1, maxQueued: 2, actors: [defineActor('q', { job: (n: unknown) => { ran.push(n as number); return n === 1 ? gate.promise : n; } })] });
    await a.start();
    const { link, results } = await rawMapper();
    for (let i = 1; i <= 6; i++) link.send('a', i % 2 === 0 && i > 3 ? { ...req(i, '/q/job'), type: 'push' } : req(i, '/q/job'));
    await flush();
    expect(a.queued).toBe(2);
    // 1 runs, 2 and 3 wait, 4 (push) dropped, 5 refused, 6 (push) dropped.
    expect(results.map((r) => [r.id, r.error?.code])).toEqual([[5, 'NANITE_ERR_OVERLOADED']]);
    expect(results[0]!.error).toMatchObject({ retryable: true, data: { agent: 'a', maxQueued: 2, notStarted: true } });
    expect(a.stats.overloaded).toBe(3);
    const burstLine = 'queue full: refusing requests (NANITE_ERR_OVERLOADED) and dropping pushes until it drains (one line per burst)';
    expect(c.logger.warnings().filter((w) => w === burstLine)).toHaveLength(1);
    gate.resolve('one');
    await flush();
    expect(ran).toEqual([1, 2, 3]);
    // A second burst logs once more.
    const gate2 = deferred<string>();
    a.addActor(defineActor('h', { hold: () => gate2.promise }));
    link.send('a', req(10, '/h/hold'));
    for (let i = 11; i <= 20; i++) link.send('a', req(i, '/q/job'));
    await flush();
    expect(c.logger.warnings().filter((w) => w === burstLine)).toHaveLength(2);
    expect(a.stats.overloaded).toBe(11);
    gate2.resolve('x');
  });

  test('stopping with 50k queued pushes and queued requests: one pass, one summary line, in-flight work finishes', async () => {
    const gate = deferred<string>();
    const a = c.agent({ identity: 'a', concurrency: 1, maxQueued: 100_000, actors: [defineActor('q', { slow: () => gate.promise, job: () => 1 })] });
    await a.start();
    const { link, results } = await rawMapper();
    link.send('a', req(0, '/q/slow'));
    for (let i = 1; i <= 50_000; i++) link.send('a', { ...req(i, '/q/job'), type: 'push' });
    for (let i = 50_001; i <= 50_010; i++) link.send('a', req(i, '/q/job'));
    await flush();
    expect(a.queued).toBe(50_010);
    const warningsBefore = c.logger.warnings().length;
    const t0 = Date.now();
    const stopping = a.stop();
    await flush();
    expect(a.queued).toBe(0);
    expect(results.map((r) => r.error?.code)).toEqual(Array(10).fill('NANITE_ERR_SHUTTING_DOWN'));
    expect(results[0]!.error!.data).toEqual({ agent: 'a', notStarted: true });
    gate.resolve('finished');
    await stopping;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(results.at(-1)).toMatchObject({ id: 0, ok: true, result: 'finished' });
    expect(c.logger.warnings().slice(warningsBefore)).toEqual(['stopping: refused queued requests (NANITE_ERR_SHUTTING_DOWN) and dropped queued pushes']);
    expect(a.stats).toMatchObject({ shed: 50_010, handled: 1 });
  });

  test('maxQueued must be a non-negative integer', () => {
    expect(() => c.agent({ maxQueued: -1 })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(c.agent({ concurrency: 8 }).maxQueued).toBe(1024);
    expect(c.agent({ concurrency: 100 }).maxQueued).toBe(1600);
  });
});

describe('a transport that refuses replies', () => {
  test('is logged once per burst, and the agent keeps serving once it recovers', async () => {
    const inner = c.transport();
    let broken = false;
    // Wraps memory:// so its agent link's reply() throws like a closing channel would.
    const t: Transport = {
      url: inner.url,
      connect: () => inner.connect(),
      openMapper: (id, sink) => inner.openMapper(id, sink),
      close: () => inner.close(),
      openAgent: async (identity, sink, options) => {
        const link = await inner.openAgent(identity, sink, options);
        return { ...link, reply: (mapper, packet) => { if (broken) throw new Error('channel closed'); link.reply(mapper, packet); } };
      },
    };
    const a = new Agent({ transport: t, identity: 'a', logger: c.logger, actors: [defineActor('x', { y: (n: unknown) => n })] });
    await a.start();
    closers.push(() => a.stop());
    const m = await c.startedMapper();
    broken = true;
    const lost = Array.from({ length: 5 }, (_, i) => m.request('/x/y', i, { timeout: 50 }).catch((e: unknown) => e));
    await flush();
    const line = 'could not send a result (further failures are only counted until a reply goes through)';
    expect(c.logger.lines.filter((l) => l.msg === line)).toHaveLength(1);
    broken = false;
    await expect(m.request('/x/y', 7)).resolves.toBe(7);
    await Promise.all(lost);
    expect(a.stats).toMatchObject({ handled: 6, failed: 0 });
  });
});
