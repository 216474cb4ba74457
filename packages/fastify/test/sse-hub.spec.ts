import { EventEmitter } from 'node:events';
import type { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { formatSse, SseHub } from '../src/control-tower/sse-hub';

/** The part of a reply SseHub uses; `send` keeps the stream without reading it (a stalled client). */
function stalledReply(): { reply: FastifyReply; stream: () => PassThrough } {
  let sent: PassThrough | undefined;
  const reply = {
    raw: new EventEmitter(), // the response: emits 'close' when it ends
    header: () => reply,
    send: (s: PassThrough) => {
      sent = s;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, stream: () => sent! };
}

describe('SseHub', () => {
  it('formats events as `event:` and one `data:` line of JSON', () => {
    expect(formatSse({ event: 'agent:up', data: { identity: 'a', note: 'two\nlines' } })).toBe('event: agent:up\ndata: {"identity":"a","note":"two\\nlines"}\n\n');
  });

  it('drops a client that stops reading once its buffer passes the limit, and keeps the others', async () => {
    const hub = new SseHub({ heartbeatInterval: 60_000, maxBuffered: 4096 });
    const slow = stalledReply();
    const other = stalledReply();
    hub.open(slow.reply, []);
    hub.open(other.reply, []);
    other.stream().resume(); // this one reads
    expect(hub.size).toBe(2);

    for (let i = 0; i < 100 && !slow.stream().destroyed; i++) {
      hub.broadcast({ event: 'agent:update', data: { i, pad: 'x'.repeat(200) } });
      await new Promise<void>((resolve) => setImmediate(resolve)); // lets the reading client read
    }

    expect(slow.stream().destroyed).toBe(true);
    expect(hub.size).toBe(1);
    hub.close();
    expect(hub.size).toBe(0);
    expect(other.stream().writableEnded).toBe(true);
  });

  it('keeps memory bounded with thousands of idle clients: each holds its first events plus maxBuffered, then is dropped', async () => {
    const hub = new SseHub({ heartbeatInterval: 60_000, maxBuffered: 8 * 1024, maxClients: 5_000 });
    const stalled = Array.from({ length: 2_000 }, () => stalledReply());
    const snapshot = { event: 'snapshot', data: { agents: 'x'.repeat(20_000) } }; // bigger than maxBuffered on its own
    for (const s of stalled) hub.open(s.reply, [snapshot]);
    expect(hub.size).toBe(2_000);
    const before = process.memoryUsage();

    // 2 000 agent events of ~1 KB each: 2 MB per client, 4 GB in all, if nothing were bounded.
    for (let i = 0; i < 2_000; i++) hub.broadcast({ event: 'agent:update', data: { identity: `agent-${i}`, pad: 'y'.repeat(1_000) } });

    const after = process.memoryUsage();
    expect(hub.size).toBe(0);
    expect(hub.stats.dropped).toBe(2_000);
    expect(stalled.every((s) => s.stream().destroyed)).toBe(true);
    expect(after.heapUsed + after.external - before.heapUsed - before.external).toBeLessThan(100 * 1024 * 1024);
    hub.close();
  });

  it('answers 503 with Retry-After past maxClients, and takes clients again once one leaves', async () => {
    const hub = new SseHub({ heartbeatInterval: 60_000, maxClients: 2 });
    const first = stalledReply();
    hub.open(first.reply, []);
    hub.open(stalledReply().reply, []);
    const codes: number[] = [];
    const headers: Record<string, string> = {};
    let body: unknown;
    const third = {
      code: (c: number) => (codes.push(c), third),
      header: (k: string, v: string) => ((headers[k] = v), third),
      send: (b: unknown) => ((body = b), third),
    };

    hub.open(third as unknown as FastifyReply, []);

    expect(codes).toEqual([503]);
    expect(headers['retry-after']).toBe('5');
    expect(body).toMatchObject({ statusCode: 503, message: expect.stringContaining('already serves 2 event streams') });
    expect(hub.stats.refused).toBe(1);
    first.stream().destroy(); // the page went away
    await new Promise<void>((resolve) => setImmediate(resolve));
    const fourth = stalledReply();
    hub.open(fourth.reply, []);
    expect(hub.size).toBe(2);
    hub.close();
  });

  it('ends new streams at once after close()', () => {
    const hub = new SseHub({ heartbeatInterval: 60_000 });
    hub.close();
    const late = stalledReply();

    hub.open(late.reply, [{ event: 'snapshot', data: {} }]);

    expect(late.stream().writableEnded).toBe(true);
    expect(hub.size).toBe(0);
  });
});
