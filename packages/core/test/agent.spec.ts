import { Agent, NaniteError, defaultStatus, defineActor, type RequestContext } from '../src';
import { TestCluster, closeCluster, deferred, flush, useFakeTimers } from './helpers';

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => closeCluster(c));

test('runs at most `concurrency` handlers at once; the rest wait in order', async () => {
  const gates = Array.from({ length: 5 }, () => deferred<string>());
  const started: number[] = [];
  const a = c.agent({ identity: 'a', concurrency: 2, actors: [defineActor('q', {
    job: (n: unknown) => { started.push(n as number); return gates[n as number]!.promise; },
  })] });
  await a.start();
  const m = await c.startedMapper();
  const results = [0, 1, 2, 3, 4].map((n) => m.request('/q/job', n));
  await flush();
  expect(started).toEqual([0, 1]);
  expect(a.inFlight).toBe(2);
  gates[1]!.resolve('one');
  await flush();
  expect(started).toEqual([0, 1, 2]);
  for (const [i, g] of gates.entries()) g.resolve(`r${i}`);
  await expect(Promise.all(results)).resolves.toEqual(['r0', 'one', 'r2', 'r3', 'r4']);
});

test('a cancel for a request waiting for a slot takes it out of the queue: it never starts, it is counted', async () => {
  const gate = deferred<string>();
  const started: number[] = [];
  const a = c.agent({ identity: 'a', concurrency: 1, actors: [defineActor('q', {
    job: (n: unknown) => { started.push(n as number); return n === 0 ? gate.promise : `r${String(n)}`; },
  })] });
  await a.start();
  const m = await c.startedMapper();
  const first = m.request('/q/job', 0);
  const giveUp = new AbortController();
  const second = m.request('/q/job', 1, { signal: giveUp.signal });
  const third = m.request('/q/job', 2);
  await flush();
  expect(a.queued).toBe(2);
  giveUp.abort();
  await expect(second).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  await flush();
  gate.resolve('r0');
  await expect(Promise.all([first, third])).resolves.toEqual(['r0', 'r2']);
  expect(started).toEqual([0, 2]);
  expect(a.stats.cancelledBeforeStart).toBe(1);
});

test('stop() drains in order: stop taking work, finish in-flight, UnRegister, close', async () => {
  const gate = deferred<string>();
  const a = c.agent({ identity: 'a', actors: [defineActor('w', { slow: () => gate.promise })] });
  const b = c.agent({ identity: 'b', actors: [defineActor('w', { slow: () => 'from b' })] });
  await a.start();
  const m = await c.startedMapper();
  const events: string[] = [];
  m.on('agent:down', (v, why) => events.push(`down ${v.identity} ${why}`));
  const inflight = m.request('/w/slow', null, { target: 'a' }).then((r) => events.push(`result ${String(r)}`));
  await flush();
  const stopping = a.stop().then(() => events.push('stopped'));
  await flush();
  await b.start();
  await flush();
  // While a drains, new work goes elsewhere.
  await expect(m.request('/w/slow')).resolves.toBe('from b');
  expect(events).toEqual([]);
  gate.resolve('from a');
  await stopping;
  await inflight;
  expect(events).toEqual(['result from a', 'down a unregistered', 'stopped']);
  expect(a.isRunning).toBe(false);
  await expect(a.stop()).resolves.toBeUndefined();
});

test('a handler that ignores the drain is aborted after drainTimeout', async () => {
  useFakeTimers();
  const reason = deferred<unknown>();
  const a = c.agent({ identity: 'a', drainTimeout: 2_000, actors: [defineActor('w', {
    stuck: (_p: unknown, ctx: RequestContext) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => { reason.resolve(ctx.signal.reason); reject(ctx.signal.reason); })),
  })] });
  await a.start();
  const m = await c.startedMapper({ timeout: 60_000 });
  const p = m.request('/w/stuck');
  await flush();
  const stopped = jest.fn();
  const stopping = a.stop().then(stopped);
  await flush();
  jest.advanceTimersByTime(1_999);
  await flush();
  expect(stopped).not.toHaveBeenCalled();
  jest.advanceTimersByTime(1);
  await expect(reason.promise).resolves.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
  await stopping;
  await expect(p).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
});

test('the status function is advertised, and re-sent on every ping', async () => {
  useFakeTimers();
  let load = 3;
  const seen: Array<{ inFlight: number; concurrency: number }> = [];
  const a = c.agent({ identity: 'a', pingInterval: 1_000, concurrency: 7, status: (i) => { seen.push(i); return load; }, actors: [defineActor('x', { y: () => 1 })] });
  const m = await c.startedMapper();
  await a.start();
  await flush();
  expect(m.agents()[0]).toMatchObject({ identity: 'a', status: 3, concurrency: 7 });
  load = 1.5;
  jest.advanceTimersByTime(1_000);
  await flush();
  expect(m.agents()[0]).toMatchObject({ status: 1.5 });
  expect(seen[0]).toMatchObject({ inFlight: 0, concurrency: 7, queued: 0 });
});

test('a status function returning garbage advertises the default status, warns once and counts', async () => {
  useFakeTimers();
  const a = c.agent({ identity: 'a', pingInterval: 1_000, status: () => NaN, actors: [defineActor('x', { y: () => 1 })] });
  const m = await c.startedMapper();
  await a.start();
  await flush();
  jest.advanceTimersByTime(3_000);
  await flush();
  const status = m.agents()[0]!.status;
  expect(status).toBeGreaterThanOrEqual(0);
  expect(status).toBeLessThanOrEqual(1);
  expect(c.logger.warnings().filter((w) => w.startsWith('status function returned a non-finite number'))).toHaveLength(1);
  expect(a.stats.statusFaults).toBe(4);
});

test('defaultStatus blends work-slot use and event-loop utilisation', () => {
  expect(defaultStatus({ inFlight: 2, queued: 0, concurrency: 8, eventLoopUtilization: 0.1 })).toBe(0.25);
  expect(defaultStatus({ inFlight: 1, queued: 0, concurrency: 8, eventLoopUtilization: 0.9 })).toBe(0.9);
  expect(defaultStatus({ inFlight: 8, queued: 8, concurrency: 8, eventLoopUtilization: 0.2 })).toBe(2);
});

test('identity: given, or generated once and kept', () => {
  const t = c.transport();
  const named = new Agent({ transport: t, identity: 'fred' });
  const generated = new Agent({ transport: t });
  expect(named.identity).toBe('fred');
  expect(generated.identity).toMatch(/^agent-.+-\d+-[0-9a-f]{8}$/);
  expect(generated.identity).toBe(generated.identity);
  expect(new Agent({ transport: t }).identity).not.toBe(generated.identity);
});

test('actors added after start are advertised at once', async () => {
  const a = c.agent({ identity: 'a', actors: [defineActor('one', { x: () => 1 })] });
  await a.start();
  const m = await c.startedMapper();
  a.addActor(defineActor('two', { y: () => 2 }));
  await flush();
  await expect(m.request('/two/y')).resolves.toBe(2);
  expect(a.routes()).toEqual(['/one/x', '/two/y']);
  expect(() => a.addActor(defineActor('two', { y: () => 3 }))).toThrow(/served twice/);
});

test('invalid options are refused with NANITE_ERR_INVALID_ARGUMENT', () => {
  const t = c.transport();
  expect(() => new Agent({ transport: t, concurrency: 0 })).toThrow(NaniteError);
  expect(() => new Agent({ transport: t, pingInterval: 1.5 })).toThrow(/pingInterval must be a positive integer/);
  expect(() => new Agent({ transport: 'redis://x' })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_UNSUPPORTED_TRANSPORT' }));
  expect(() => new Agent({ transport: 'not a url' })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
});

test('a push handler that throws is logged, not lost silently, and the agent keeps going', async () => {
  const a = c.agent({ identity: 'a', actors: [defineActor('p', { boom: () => { throw new Error('bad push'); } })] });
  await a.start();
  const m = await c.startedMapper();
  await m.push('/p/boom');
  await flush();
  expect(c.logger.warnings()).toContain('push handler failed');
  expect(a.stats).toMatchObject({ handled: 1, failed: 1 });
});

test('stop() while start() is still connecting waits for it and leaves nothing running', async () => {
  const a = c.agent({ identity: 'a', actors: [defineActor('x', { y: () => 1 })] });
  const m = await c.startedMapper();
  const starting = a.start();
  const stopping = a.stop();
  await starting;
  await stopping;
  await flush();
  expect(a.isRunning).toBe(false);
  expect(m.agents()).toEqual([]);
  await expect(m.request('/x/y')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
});

test('a just-started agent is not advertised as busy because of its own startup work', async () => {
  const a = c.agent({ identity: 'fresh', actors: [defineActor('f', { x: () => 1 })] });
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x += i % 7; // startup work between construction and start (module loading, config)
  expect(x).toBeGreaterThan(0);
  await a.start();
  const m = await c.startedMapper();
  await flush();
  expect(m.agents().find((v) => v.identity === 'fresh')?.status).toBeLessThan(0.5);
});
