/**
 * Stream packets on the wire: validation, the binary AMQP envelope, and a peer that breaks the
 * protocol (more chunks than credit, a lost chunk, a cut stream) — never a crash, never a stream
 * passed off as complete.
 */
import { decodePacket, defineActor, type AgentLink, type RequestContext, type RequestPacket } from '../src';
import { binaryChunk, CHUNK_CONTENT_TYPE, fromBinaryChunk } from '../src/transport/amqp/amqp-chunks';
import { closeCluster, flush, TestCluster } from './helpers';

describe('stream packet validation', () => {
  test.each([
    [{ v: 1, type: 'chunk', id: 1, from: 'a', seq: 0, data: 'x' }],
    [{ v: 1, type: 'chunk', id: 1, from: 'a', seq: 3, data: Buffer.from('x') }],
    [{ v: 1, type: 'credit', id: 1, replyTo: 'm', n: 8 }],
    [{ v: 1, type: 'credit', id: 1, replyTo: 'm', n: 8, from: 'a' }],
    [{ v: 1, type: 'end', id: 1, from: 'm', chunks: 4 }],
    [{ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'm', timeout: 0, hops: 0, payload: null, stream: 16, upload: true }],
  ])('accepts %j', (p) => {
    expect(decodePacket(p).ok).toBe(true);
  });

  test.each([
    [{ v: 1, type: 'chunk', id: 1, from: 'a', seq: -1, data: 'x' }, 'seq'],
    [{ v: 1, type: 'chunk', id: 1, from: 'a', seq: 0 }, 'data'],
    [{ v: 1, type: 'chunk', id: 1, from: '', seq: 0, data: 1 }, 'from'],
    [{ v: 1, type: 'credit', id: 1, replyTo: 'm', n: 0 }, 'n must be'],
    [{ v: 1, type: 'credit', id: 1, replyTo: 'm', n: 1e9 }, 'n must be'],
    [{ v: 1, type: 'credit', id: 1, replyTo: 'm', n: 1, from: 7 }, 'from'],
    [{ v: 1, type: 'end', id: 1, from: 'm', chunks: 1.5 }, 'chunks'],
    [{ v: 1, type: 'end', id: 1, from: 'm', chunks: 1, error: { code: 7 } }, 'error.code'],
    [{ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'm', timeout: 0, hops: 0, stream: 0 }, 'stream'],
    [{ v: 1, type: 'request', id: 1, route: '/a/b', replyTo: 'm', timeout: 0, hops: 0, upload: 'yes' }, 'upload'],
  ])('rejects %j', (p, reason) => {
    const r = decodePacket(p);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(reason);
  });

  test('an end packet with an unknown error code keeps it under NANITE_ERR_HANDLER', () => {
    const r = decodePacket({ v: 1, type: 'end', id: 1, from: 'm', chunks: 0, error: { code: 'NANITE_ERR_FROM_THE_FUTURE', message: 'x', retryable: false } });
    expect(r.ok && r.packet.type === 'end' && r.packet.error).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { remoteCode: 'NANITE_ERR_FROM_THE_FUTURE' } });
  });
});

describe('binary chunks on amqp://', () => {
  test('bytes travel as the body, fields in one header; JSON chunks take the serializer', () => {
    const data = Buffer.from([0, 1, 2, 255]);
    const msg = binaryChunk({ v: 1, type: 'chunk', id: 7, from: 'agent-1', seq: 3, data })!;
    expect(msg.body).toBe(data);
    const back = fromBinaryChunk({ contentType: CHUNK_CONTENT_TYPE, headers: msg.headers } as never, msg.body);
    expect(back).toEqual({ v: 1, type: 'chunk', id: 7, from: 'agent-1', seq: 3, data });
    expect(decodePacket(back).ok).toBe(true);
    expect(binaryChunk({ v: 1, type: 'chunk', id: 7, from: 'a', seq: 0, data: { x: 1 } })).toBeUndefined();
    expect(fromBinaryChunk({ contentType: 'application/json', headers: {} } as never, data)).toBeUndefined();
    // A binary chunk with a missing or garbled header fails validation (dropped and counted), never throws.
    expect(decodePacket(fromBinaryChunk({ contentType: CHUNK_CONTENT_TYPE, headers: {} } as never, data)).ok).toBe(false);
  });
});

describe('a rogue agent breaking the stream protocol (memory://)', () => {
  let c: TestCluster;
  beforeEach(() => {
    c = new TestCluster();
  });
  afterEach(() => closeCluster(c));

  /** An agent speaking raw packets: `answer` runs for each request it gets. */
  async function rogue(answer: (link: AgentLink, p: RequestPacket) => void): Promise<void> {
    const t = c.transport();
    await t.connect();
    const register = (): void => link.broadcast({ v: 1, type: 'register', identity: 'rogue', routes: [{ route: '/r/x', idempotent: false }], tags: [], status: 0, concurrency: 1, pingInterval: 60_000 });
    // The sink runs only after openAgent() resolved (memory:// delivers on microtasks), so `link` is set by then.
    const link: AgentLink = await t.openAgent('rogue', {
      onPacket: (p, settle) => {
        const type = (p as { type?: unknown }).type;
        if (type === 'request') answer(link, p as RequestPacket);
        if (type === 'advertise') register();
        settle();
      },
      onMalformed: () => undefined,
    }, { prefetch: 1 });
    register();
    c.close = ((close) => async () => {
      await close();
      await t.close();
    })(c.close.bind(c));
  }

  async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const v of it) out.push(v);
    return out;
  }

  test('more chunks than credit: the stream fails with NANITE_ERR_STREAM, the mapper buffers no more than its window', async () => {
    await rogue((link, p) => {
      for (let i = 0; i < 50; i++) link.reply(p.replyTo, { v: 1, type: 'chunk', id: p.id, from: 'rogue', seq: i, data: i });
    });
    const m = await c.startedMapper();
    const s = m.stream('/r/x', undefined, { window: 4 });
    await flush(50);
    expect(s.received).toBe(4);
    await expect(drain(s)).rejects.toMatchObject({ code: 'NANITE_ERR_STREAM' });
  });

  test('a lost chunk (a gap in seq) fails the stream with NANITE_ERR_STREAM', async () => {
    await rogue((link, p) => {
      link.reply(p.replyTo, { v: 1, type: 'chunk', id: p.id, from: 'rogue', seq: 0, data: 'a' });
      link.reply(p.replyTo, { v: 1, type: 'chunk', id: p.id, from: 'rogue', seq: 2, data: 'c' });
    });
    const m = await c.startedMapper();
    await expect(drain(m.stream('/r/x'))).rejects.toMatchObject({ code: 'NANITE_ERR_STREAM', data: { received: 1 } });
  });

  test('an end counting more chunks than arrived: NANITE_ERR_STREAM, not a complete stream', async () => {
    await rogue((link, p) => {
      link.reply(p.replyTo, { v: 1, type: 'chunk', id: p.id, from: 'rogue', seq: 0, data: 'a' });
      link.reply(p.replyTo, { v: 1, type: 'result', id: p.id, from: 'rogue', ok: true, result: { chunks: 3 } });
    });
    const m = await c.startedMapper();
    const got: unknown[] = [];
    await expect((async () => {
      for await (const v of m.stream('/r/x')) got.push(v);
    })()).rejects.toMatchObject({ code: 'NANITE_ERR_STREAM', data: { received: 1, sent: 3 } });
    expect(got).toEqual(['a']);
  });
});

describe('a rogue caller breaking the stream protocol (memory://)', () => {
  let c: TestCluster;
  beforeEach(() => {
    c = new TestCluster();
  });
  afterEach(() => closeCluster(c));

  test('credit beyond the window it asked for is not taken: the agent never has more than the window of chunks unread', async () => {
    let produced = 0;
    await c.agent({ identity: 'a', actors: [defineActor('g', {
      async *forever(_: unknown, ctx: RequestContext) {
        while (!ctx.signal.aborted) yield produced++;
      },
    })] }).start();
    const t = c.transport();
    await t.connect();
    const chunks: number[] = [];
    const link = await t.openMapper('rogue-caller', {
      onPacket: (p) => { if ((p as { type: string }).type === 'chunk') chunks.push((p as { seq: number }).seq); },
      onMalformed: () => undefined,
      onUndeliverable: () => undefined,
    });
    link.send('a', { v: 1, type: 'request', id: 1, route: '/g/forever', payload: null, replyTo: 'rogue-caller', timeout: 0, hops: 0, stream: 2 });
    await new Promise((r) => setTimeout(r, 20));
    // Room for 2 chunks, and 60 000 credit granted on top without reading any.
    link.send('a', { v: 1, type: 'credit', id: 1, replyTo: 'rogue-caller', n: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(chunks.length).toBeLessThanOrEqual(4);
    expect(produced).toBeLessThanOrEqual(5);
    link.send('a', { v: 1, type: 'cancel', id: 1, replyTo: 'rogue-caller' });
    await new Promise((r) => setTimeout(r, 20));
    await link.close();
    await t.close();
  });
});
