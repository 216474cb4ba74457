/** Result streams on memory://: flow control, cancellation, errors, cut streams (docs/streams.md). */
import { Readable } from 'node:stream';
import { defineActor, NaniteError, type RequestContext } from '../src';
import { closeCluster, deferred, flush, TestCluster, useFakeTimers } from './helpers';

let c: TestCluster;
beforeEach(() => {
  c = new TestCluster();
});
afterEach(() => closeCluster(c));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe('result streams (memory://)', () => {
  test('an async generator streams JSON values in order, and the stream ends', async () => {
    const actor = defineActor('count', {
      async *upto(n: number) {
        for (let i = 0; i < n; i++) yield { i };
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const s = m.stream<{ i: number }>('/count/upto', 100, { window: 4 });
    expect(await collect(s)).toEqual(Array.from({ length: 100 }, (_, i) => ({ i })));
    expect(s.received).toBe(100);
  });

  test('a Readable of bytes streams, big Buffers split into 256 KiB chunks', async () => {
    const block = Buffer.alloc(600 * 1024, 7);
    const actor = defineActor('files', { read: () => Readable.from([Buffer.from('head'), block]) });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const chunks = await collect(m.stream<Buffer>('/files/read'));
    expect(chunks.map((b) => b.length)).toEqual([4, 256 * 1024, 256 * 1024, 88 * 1024]);
    expect(Buffer.concat(chunks).equals(Buffer.concat([Buffer.from('head'), block]))).toBe(true);
  });

  test('a plain result read as a stream is one chunk', async () => {
    const actor = defineActor('plain', { one: () => ({ ok: 1 }), none: () => undefined });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    expect(await collect(m.stream('/plain/one'))).toEqual([{ ok: 1 }]);
    expect(await collect(m.stream('/plain/none'))).toEqual([]);
  });

  test('a slow reader holds the handler back to the credit window', async () => {
    let produced = 0;
    const actor = defineActor('gen', {
      async *many() {
        for (let i = 0; i < 1000; i++) {
          produced++;
          yield i;
        }
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const s = m.stream<number>('/gen/many', undefined, { window: 8 });
    await flush(200);
    // The window, plus the value the generator produced before its pump waited for credit.
    expect(produced).toBeLessThanOrEqual(9);
    const first = await s.next();
    expect(first).toEqual({ value: 0, done: false });
    await flush(200);
    expect(produced).toBeLessThanOrEqual(9);
    const rest = await collect(s);
    expect(rest).toHaveLength(999);
    expect(produced).toBe(1000);
  });

  test('breaking out of the loop aborts the handler within 100 ms', async () => {
    const stopped = deferred<number>();
    const actor = defineActor('gen', {
      async *forever(_: unknown, ctx: RequestContext) {
        try {
          for (let i = 0; !ctx.signal.aborted; i++) yield i;
        } finally {
          stopped.resolve(performance.now());
        }
      },
    });
    const agent = c.agent({ actors: [actor] });
    await agent.start();
    const m = await c.startedMapper();
    let brokeAt = 0;
    for await (const v of m.stream<number>('/gen/forever', undefined, { window: 4 })) {
      if (v === 50) {
        brokeAt = performance.now();
        break;
      }
    }
    const at = await stopped.promise;
    expect(at - brokeAt).toBeLessThan(100);
    await flush(50);
    expect(agent.inFlight).toBe(0);
    expect(agent.stats).toMatchObject({ handled: 1, failed: 1 });
  });

  test('the signal option cancels: the reader gets NANITE_ERR_ABORTED and the handler its abort', async () => {
    const handlerAborted = deferred<unknown>();
    const actor = defineActor('gen', {
      async *slow(_: unknown, ctx: RequestContext) {
        try {
          yield 'first';
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        } finally {
          // Closed at its yield, or woken by its signal: either way it learns of the abort.
          handlerAborted.resolve(ctx.signal.reason);
        }
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const ac = new AbortController();
    const s = m.stream('/gen/slow', undefined, { signal: ac.signal });
    expect(await s.next()).toEqual({ value: 'first', done: false });
    const pending = s.next();
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    await expect(handlerAborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  });

  test('an error mid-stream reaches the reader after the chunks sent before it', async () => {
    const actor = defineActor('gen', {
      async *failing() {
        yield 1;
        yield 2;
        throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'bad row 3' });
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const got: number[] = [];
    await expect((async () => {
      for await (const v of m.stream<number>('/gen/failing')) got.push(v);
    })()).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'bad row 3' });
    expect(got).toEqual([1, 2]);
  });

  test('a chunk that cannot cross the wire fails the stream with NANITE_ERR_PAYLOAD', async () => {
    const actor = defineActor('gen', {
      async *bad() {
        yield 1;
        yield 10n;
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    await expect(collect(m.stream('/gen/bad'))).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
  });

  test('request() on a handler that streams fails with NANITE_ERR_STREAM (and closes the source)', async () => {
    const closed = deferred();
    const actor = defineActor('gen', {
      async *items() {
        try {
          yield 1;
        } finally {
          closed.resolve();
        }
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    await expect(m.request('/gen/items')).rejects.toMatchObject({ code: 'NANITE_ERR_STREAM' });
    expect(await collect(m.stream('/gen/items'))).toEqual([1]);
  });

  test('a handler that returns, after its stream was cancelled, a value whose every property throws (a strict Proxy) frees its slot; nothing escapes as an unhandled rejection', async () => {
    const strict = () => new Proxy({}, { get(_t, k) { if (k === 'then') return undefined; throw new Error('strict'); } });
    const actor = defineActor('p', {
      bad: async (_: unknown, ctx: RequestContext) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return strict();
      },
    });
    const a = c.agent({ actors: [actor] });
    await a.start();
    const m = await c.startedMapper();
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const s = m.stream('/p/bad');
      const first = s.next().catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 20));
      await s.cancel();
      await first;
      await new Promise((r) => setTimeout(r, 50));
      expect(rejections).toEqual([]);
      expect(a.inFlight).toBe(0);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  test('silence past `timeout` while the agent has credit fails with NANITE_ERR_TIMEOUT and aborts the handler', async () => {
    useFakeTimers();
    const handlerAborted = deferred<unknown>();
    const actor = defineActor('gen', {
      async *stuck(_: unknown, ctx: RequestContext) {
        yield 'one';
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        handlerAborted.resolve(ctx.signal.reason);
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const s = m.stream('/gen/stuck', undefined, { timeout: 5_000 });
    expect(await s.next()).toEqual({ value: 'one', done: false });
    const pending = s.next();
    for (let t = 0; t < 55; t++) {
      jest.advanceTimersByTime(100);
      await flush();
    }
    await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    // The agent learns of it through a cancel packet, so its handler sees NANITE_ERR_ABORTED.
    await expect(handlerAborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
  });

  test('a reader that does not read is never timed out (the agent waits on its credit)', async () => {
    useFakeTimers();
    const actor = defineActor('gen', {
      async *many() {
        for (let i = 0; i < 20; i++) yield i;
      },
    });
    await c.agent({ actors: [actor] }).start();
    const m = await c.startedMapper();
    const s = m.stream<number>('/gen/many', undefined, { timeout: 1_000, window: 4 });
    for (let t = 0; t < 100; t++) {
      jest.advanceTimersByTime(100);
      await flush();
    }
    expect(await collect(s)).toHaveLength(20);
  });

  test('a reader that stops reading without cancelling, or whose mapper is gone, gives the agent its slot back after streamStallTimeout; a slow reader within it is served in full', async () => {
    let aborted: unknown;
    const actor = defineActor('gen', {
      async *forever(_: unknown, ctx: RequestContext) {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          aborted = ctx.signal.reason;
        }
      },
      async *ten() {
        for (let i = 0; i < 10; i++) yield i;
      },
    });
    const a = c.agent({ identity: 'a', actors: [actor], concurrency: 1, streamStallTimeout: 300 });
    await a.start();
    const mt = c.transport();
    const m = c.mapper({}, mt);
    await m.start();
    await flush();
    // Stops reading, never cancels.
    const s = m.stream<number>('/gen/forever', undefined, { window: 2 });
    expect(await s.next()).toEqual({ value: 0, done: false });
    await new Promise((r) => setTimeout(r, 600));
    expect(a.inFlight).toBe(0);
    expect(aborted).toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    // The reader learns why when it reads again (after the chunks that had arrived).
    await expect(collect(s)).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    // A slow reader taking one chunk every 150 ms (the stall timeout is 300 ms) is served in full, whatever its window.
    const slow: number[] = [];
    for await (const v of m.stream<number>('/gen/ten', undefined, { window: 8 })) {
      slow.push(v);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(slow).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.inFlight).toBe(0);
    // The reader's mapper is cut off mid-stream: the agent frees the slot, and serves the next caller.
    aborted = undefined;
    const t = m.stream<number>('/gen/forever', undefined, { window: 2 });
    expect(await t.next()).toEqual({ value: 0, done: false });
    mt.sever();
    await new Promise((r) => setTimeout(r, 600));
    expect(a.inFlight).toBe(0);
    expect(aborted).toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    const other = await c.startedMapper();
    expect(await collect(other.stream<number>('/gen/ten'))).toHaveLength(10);
  });

  test('streamStallTimeout is checked at construction', () => {
    for (const bad of [-1, NaN, '10', 2 ** 31]) expect(() => c.agent({ streamStallTimeout: bad as never })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test('an agent lost mid-stream fails it with NANITE_ERR_AGENT_LOST after the chunks that arrived', async () => {
    useFakeTimers();
    const actor = defineActor('gen', {
      async *forever(_: unknown, ctx: RequestContext) {
        for (let i = 0; !ctx.signal.aborted; i++) yield i;
      },
    });
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [actor], pingInterval: 1000 }, ta).start();
    const m = await c.startedMapper({ reapInterval: 100 });
    const s = m.stream<number>('/gen/forever', undefined, { window: 4 });
    expect(await s.next()).toEqual({ value: 0, done: false });
    ta.sever();
    const rest = collect(s);
    for (let t = 0; t < 40; t++) {
      jest.advanceTimersByTime(100);
      await flush();
    }
    await expect(rest).rejects.toMatchObject({ code: 'NANITE_ERR_AGENT_LOST', data: { agent: 'a' } });
  });

  test('bad options are refused with NANITE_ERR_INVALID_ARGUMENT', async () => {
    const m = await c.startedMapper();
    await expect(collect(m.stream('/x/y', null, { window: 0 }))).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(collect(m.stream('/x/y', null, { selector: 'all' }))).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(collect(m.stream('/x/y', null, { persistent: true }))).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    await expect(m.request('/x/y', null, { persistent: true, stream: (async function* () {})() })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });
});
