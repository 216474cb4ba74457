import type { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { formatSse, SseHub } from '../src/control-tower/sse-hub';

/** The part of a reply SseHub uses; `send` keeps the stream without reading it (a stalled client). */
function stalledReply(): { reply: FastifyReply; stream: () => PassThrough } {
  let sent: PassThrough | undefined;
  const reply = {
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
    const hub = new SseHub(60_000, 4096);
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

  it('ends new streams at once after close()', () => {
    const hub = new SseHub(60_000);
    hub.close();
    const late = stalledReply();

    hub.open(late.reply, [{ event: 'snapshot', data: {} }]);

    expect(late.stream().writableEnded).toBe(true);
    expect(hub.size).toBe(0);
  });
});
