/** Request streams (uploads) on memory://: `ctx.input`, flow control, errors, both ways (docs/streams.md). */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { defineActor, NaniteError, type RequestContext } from '../src';
import { closeCluster, flush, TestCluster } from './helpers';

let c: TestCluster;
beforeEach(() => {
  c = new TestCluster();
});
afterEach(() => closeCluster(c));

const hasher = defineActor('up', {
  async sha(meta: { name: string }, ctx: RequestContext) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of ctx.input!) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { name: meta.name, bytes, sha: hash.digest('hex') };
  },
  async sum(_: unknown, ctx: RequestContext) {
    let total = 0;
    for await (const n of ctx.input ?? []) total += n as number;
    return total;
  },
  async *upper(_: unknown, ctx: RequestContext) {
    for await (const chunk of ctx.input!) yield (chunk as Buffer).toString().toUpperCase();
  },
  async first(_: unknown, ctx: RequestContext) {
    for await (const v of ctx.input!) return v;
    return undefined;
  },
  async none(_: unknown, ctx: RequestContext) {
    return ctx.input === undefined;
  },
});

describe('uploads (memory://)', () => {
  test('a Readable sent with { stream } reaches the handler as ctx.input, with the payload beside it', async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    const data = Buffer.alloc(1024 * 1024 + 5, 3);
    const result = await m.request('/up/sha', { name: 'x.bin' }, { stream: Readable.from([data.subarray(0, 100), data.subarray(100)]) });
    expect(result).toEqual({ name: 'x.bin', bytes: data.length, sha: createHash('sha256').update(data).digest('hex') });
  });

  test('an async generator as the payload is an upload of JSON values', async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    async function* numbers(): AsyncGenerator<number> {
      for (let i = 1; i <= 100; i++) yield i;
    }
    await expect(m.request('/up/sum', numbers())).resolves.toBe(5050);
  });

  test('a request without an upload has no ctx.input', async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    await expect(m.request('/up/none')).resolves.toBe(true);
  });

  test('the source is read only as fast as the handler reads (credit window)', async () => {
    let pulled = 0;
    const gate = { open: false, wake: (): void => undefined };
    const slow = defineActor('slow', {
      async take(_: unknown, ctx: RequestContext) {
        if (!gate.open) await new Promise<void>((r) => (gate.wake = r));
        let n = 0;
        for await (const _v of ctx.input!) n++;
        return n;
      },
    });
    await c.agent({ actors: [slow] }).start();
    const m = await c.startedMapper();
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 500; i++) {
        pulled++;
        yield i;
      }
    }
    const result = m.request('/slow/take', source());
    await flush(200);
    // Nothing was granted before the handler started reading.
    expect(pulled).toBe(0);
    gate.open = true;
    gate.wake();
    await expect(result).resolves.toBe(500);
    expect(pulled).toBe(500);
  });

  test('both ways: an upload streamed back through mapper.stream()', async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    const out: string[] = [];
    for await (const s of m.stream<string>('/up/upper', undefined, { stream: Readable.from([Buffer.from('ab'), Buffer.from('cd')]) })) out.push(s);
    expect(out).toEqual(['AB', 'CD']);
  });

  test('a handler that stops reading early answers, and the source is closed', async () => {
    let closed = false;
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    async function* endless(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    await expect(m.request('/up/first', endless())).resolves.toBe(0);
    await flush(50);
    expect(closed).toBe(true);
  });

  test("the source's error reaches the handler through ctx.input (and the caller through the handler)", async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    async function* broken(): AsyncGenerator<number> {
      yield 1;
      throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'row 2 is bad' });
    }
    await expect(m.request('/up/sum', broken())).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'row 2 is bad' });
  });

  test('an upload with a fan-out selector is refused', async () => {
    await c.agent({ actors: [hasher] }).start();
    const m = await c.startedMapper();
    await expect(m.request('/up/sum', undefined, { selector: 'all', stream: Readable.from([1]) })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });

  test('upload chunks and ends for no running request (late or forged) are dropped and counted in stats.strayUploads', async () => {
    const agent = c.agent({ identity: 'up', actors: [hasher] });
    await agent.start();
    const t = c.transport();
    await t.connect();
    const raw = await t.openMapper('someone', { onPacket() {}, onMalformed() {}, onUndeliverable() {} });
    raw.send('up', { v: 1, type: 'chunk', id: 12345, from: 'someone', seq: 0, data: 'x' });
    raw.send('up', { v: 1, type: 'end', id: 12345, from: 'someone', chunks: 1 });
    await flush();
    expect(agent.stats.strayUploads).toBe(2);
    await raw.close();
    await t.close();
  });
});

test('ctx.input read after the handler returned ends at once (it used to make a reader that waited forever, never freed)', async () => {
  let later: RequestContext | undefined;
  await c.agent({ identity: 'a', actors: [defineActor('late', { keep: (_p: unknown, ctx: RequestContext) => { later = ctx; return 'kept'; } })] }).start();
  const m = await c.startedMapper();
  async function* values() { yield 1; yield 2; }
  await expect(m.request('/late/keep', null, { stream: values() })).resolves.toBe('kept');
  const read: unknown[] = [];
  const reading = (async () => {
    for await (const v of later!.input!) read.push(v);
    return 'ended';
  })();
  await expect(Promise.race([reading, new Promise((r) => setTimeout(r, 1_000, 'still waiting'))])).resolves.toBe('ended');
  expect(read).toEqual([]);
});

describe('a handler waiting for its upload is woken when its request is aborted (it used to wait, and hold its slot, for good)', () => {
  const waiting = () => {
    const seen: { exited: boolean; error?: unknown } = { exited: false };
    const actor = defineActor('up', {
      async sum(_: unknown, ctx: RequestContext) {
        void ctx.signal; // the deadline is enforced once the handler looks at its signal
        let n = 0;
        try {
          for await (const v of ctx.input!) n += v as number;
        } catch (err) {
          seen.error = err;
          throw err;
        } finally {
          seen.exited = true;
        }
        return n;
      },
    });
    return { actor, seen };
  };
  async function* stalled() {
    yield 1;
    await new Promise(() => undefined); // the uploader stops sending, never ends
  }

  test('by its deadline: the read rejects NANITE_ERR_TIMEOUT, the handler exits, its slot is free', async () => {
    const { actor, seen } = waiting();
    const a = c.agent({ identity: 'a', concurrency: 1, actors: [actor] });
    await a.start();
    const m = await c.startedMapper();
    await expect(m.request('/up/sum', null, { stream: stalled(), timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toMatchObject({ exited: true, error: expect.objectContaining({ code: 'NANITE_ERR_TIMEOUT' }) });
    expect(a.inFlight).toBe(0);
    async function* two() { yield 2; yield 3; }
    await expect(m.request('/up/sum', null, { stream: two() })).resolves.toBe(5);
  });

  test("by its caller's cancel: the read rejects NANITE_ERR_ABORTED, the handler exits", async () => {
    const { actor, seen } = waiting();
    const a = c.agent({ identity: 'a', actors: [actor] });
    await a.start();
    const m = await c.startedMapper();
    const giveUp = new AbortController();
    const call = m.request('/up/sum', null, { stream: stalled(), signal: giveUp.signal });
    await new Promise((r) => setTimeout(r, 50));
    giveUp.abort();
    await expect(call).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toMatchObject({ exited: true, error: expect.objectContaining({ code: 'NANITE_ERR_ABORTED' }) });
    expect(a.inFlight).toBe(0);
  });
});

test('an upload refused before it is sent (bad options, a fan-out selector, a mapper not running, a stream() with a bad window) has its source closed (a file stream kept its descriptor open)', async () => {
  await c.agent({ identity: 'a', actors: [hasher] }).start();
  const m = await c.startedMapper();
  const source = () => Readable.from([Buffer.from('x')]);
  const cases: Array<[string, (s: Readable) => Promise<unknown>]> = [
    ['timeout -5', (s) => m.request('/up/sha', { name: 'f' }, { stream: s, timeout: -5 })],
    ['selector all', (s) => m.request('/up/sha', { name: 'f' }, { stream: s, selector: 'all' } as never)],
    ['the source as the payload, tags not an array', (s) => m.request('/up/sum', s, { tags: 'eu' as never })],
    ['stream() window 0', async (s) => { for await (const v of m.stream('/up/upper', null, { stream: s, window: 0 })) void v; }],
    ['stream() options null', async () => { for await (const v of m.stream('/up/upper', null, null as never)) void v; }],
    ['stream() window a revoked Proxy', async (s) => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      for await (const v of m.stream('/up/upper', null, { stream: s, window: proxy as never })) void v;
    }],
  ];
  for (const [name, run] of cases) {
    const s = source();
    await expect(run(s)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    if (name !== 'stream() options null') expect([name, s.destroyed]).toEqual([name, true]);
  }
  const idle = c.mapper();
  const s = source();
  await expect(idle.request('/up/sha', { name: 'f' }, { stream: s })).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_STARTED' });
  expect(s.destroyed).toBe(true);
});
