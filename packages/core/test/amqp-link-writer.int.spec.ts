/**
 * The link writer on a real RabbitMQ connection: what it publishes arrives as amqplib would have
 * sent it, in the order it was made whether it went straight to the socket or through amqplib's
 * channel buffer, a delivery acknowledged with a publish made at once is acknowledged (once), and a
 * closed channel refuses it as amqplib does.
 */
import * as amqp from 'amqplib';
import { linkWriter } from '../src/transport/amqp/write-batcher';
import { AMQP_URL, uniquePrefix } from './amqp.helpers';

describe('link writer (amqp://)', () => {
  let model: amqp.ChannelModel;
  let ch: amqp.Channel;
  let queue: string;

  beforeEach(async () => {
    model = await amqp.connect(AMQP_URL, { noDelay: true });
    ch = await model.createChannel();
    queue = uniquePrefix('writer');
    await ch.assertQueue(queue, { exclusive: true });
  });

  afterEach(async () => {
    await model.close();
  });

  async function receive(n: number): Promise<amqp.ConsumeMessage[]> {
    const got: amqp.ConsumeMessage[] = [];
    return new Promise((resolve) => {
      void ch.consume(
        queue,
        (m) => {
          if (!m) return;
          got.push(m);
          if (got.length === n) resolve(got);
        },
        { noAck: true },
      );
    });
  }

  const idle = (): boolean => false;

  it('delivers text and byte bodies with the properties given, like amqplib', async () => {
    const writer = linkWriter(model, true, idle);
    const text = JSON.stringify({ hello: 'wörld ✓', n: 1 });
    const sent = writer.publish(ch, '', queue, text, { contentType: 'application/json', correlationId: 'c1', replyTo: 'r1', expiration: '60000', type: 't1' });
    expect(sent.equals(Buffer.from(text))).toBe(true);
    writer.publish(ch, '', queue, Buffer.from([0, 1, 2, 255]), { contentType: 'application/octet-stream' });
    ch.publish('', queue, Buffer.from('by amqplib'), { contentType: 'text/plain', correlationId: 'c3' });
    const [a, b, c] = await receive(3);
    expect(a!.content.toString()).toBe(text);
    expect(a!.properties).toMatchObject({ contentType: 'application/json', correlationId: 'c1', replyTo: 'r1', expiration: '60000', type: 't1', headers: {} });
    expect([...b!.content]).toEqual([0, 1, 2, 255]);
    expect(b!.properties.contentType).toBe('application/octet-stream');
    expect(b!.properties.headers).toEqual(c!.properties.headers);
    expect(c!.content.toString()).toBe('by amqplib');
  });

  it('keeps the order of publishes made through the writer and through amqplib in one turn and across turns, busy or not', async () => {
    let busy = false;
    const writer = linkWriter(model, true, () => busy);
    const n = 600;
    for (let i = 0; i < n; i++) {
      const body = String(i);
      if (i % 3 === 0) ch.publish('', queue, Buffer.from(body), { contentType: 'text/plain' });
      else writer.publish(ch, '', queue, body, { contentType: 'text/plain' });
      // Some turns end in between: when not busy, the first publish of each turn goes straight to the socket.
      if (i % 50 === 49) {
        await new Promise((r) => setImmediate(r));
        busy = !busy;
      }
    }
    const got = await receive(n);
    expect(got.map((m) => Number(m.content.toString()))).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('acknowledges a delivery in the same buffer as a publish made at once; when busy it leaves the ack to the caller', async () => {
    let busy = false;
    const writer = linkWriter(model, true, () => busy);
    const work = `${queue}.work`;
    await ch.assertQueue(work, { exclusive: true });
    for (let i = 0; i < 6; i++) ch.sendToQueue(work, Buffer.from(String(i)));
    const socket = (model.connection as unknown as { stream: { write: (b: Buffer) => boolean } }).stream;
    const write = socket.write.bind(socket);
    const writes: Buffer[] = [];
    socket.write = (b: Buffer): boolean => (writes.push(b), write(b));
    const acked: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      busy = i >= 3;
      // A new turn each time: the first publish of a turn may go straight to the socket.
      await new Promise((r) => setImmediate(r));
      const m = await ch.get(work, { noAck: false });
      if (!m) throw new Error('no message');
      writes.length = 0;
      writer.publish(ch, '', queue, `reply-${i}`, { contentType: 'text/plain' }, m.fields.deliveryTag);
      acked.push(writer.ackSent);
      if (writer.ackSent) {
        // The publish (basic.publish = class 60, method 40), then the ack frame (21 bytes, method 80), in one write of one buffer.
        expect(writes.length).toBe(1);
        const w = writes[0]!;
        expect(w.readUInt16BE(9)).toBe(40);
        const ack = w.subarray(w.length - 21);
        expect([ack[0], ack.readUInt16BE(7), ack.readUInt16BE(9), Number(ack.readBigUInt64BE(11))]).toEqual([1, 60, 80, m.fields.deliveryTag]);
      } else ch.ack(m);
    }
    expect(acked).toEqual([true, true, true, false, false, false]);
    const replies = await receive(6);
    expect(replies.map((m) => m.content.toString())).toEqual([0, 1, 2, 3, 4, 5].map((i) => `reply-${i}`));
    // Each acknowledged exactly once: the channel is still open (a second ack of a tag would close it)
    // and nothing comes back when it closes (an unacknowledged delivery would be requeued).
    await ch.checkQueue(work);
    const other = await model.createChannel();
    await ch.close();
    const left = await other.checkQueue(work);
    expect(left.messageCount).toBe(0);
    ch = other; // closed by afterEach with the connection
  });

  it('writes what waited for the socket to drain in a few writes, not one per message, and in order', async () => {
    // Busy: every publish goes through amqplib's channel buffer, far past the socket's 16 KiB
    // high-water mark in one turn, so amqplib's muxer stops and waits for 'drain' to write the rest.
    const socket = model.connection as unknown as { stream: { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void; listenerCount(e: string): number } };
    const stream = socket.stream;
    const listeners = stream.listenerCount('drain');
    const writer = linkWriter(model, true, () => true);
    // A link attaches again on the same connection after a channel failure: one listener per socket.
    linkWriter(model, true, () => true);
    expect(stream.listenerCount('drain')).toBe(listeners + 1);
    const single = stream._write.bind(stream);
    const many = stream._writev.bind(stream);
    let singles = 0;
    let batches = 0;
    stream._write = (...a: unknown[]): void => (singles++, single(...a));
    stream._writev = (...a: unknown[]): void => (batches++, many(...a));
    const n = 3000;
    for (let i = 0; i < n; i++) writer.publish(ch, '', queue, JSON.stringify({ i, pad: 'x'.repeat(80) }), { contentType: 'application/json' });
    const got = await receive(n);
    expect(got.map((m) => (JSON.parse(m.content.toString()) as { i: number }).i)).toEqual(Array.from({ length: n }, (_, i) => i));
    // ~400 KB in ~16 KiB writevs; amqplib alone writes each of the ~2,900 messages after the first drain on its own.
    expect(batches).toBeGreaterThan(5);
    expect(singles).toBeLessThan(50);
  });

  it('refuses a publish on a closed channel as amqplib does', async () => {
    const writer = linkWriter(model, true, idle);
    const other = await model.createChannel();
    await other.close();
    expect(() => other.publish('', queue, Buffer.from('x'))).toThrow(/closed/i);
    expect(() => writer.publish(other, '', queue, 'x', { contentType: 'text/plain' })).toThrow(/closed/i);
  });

  it('with batching off, publishes through amqplib', async () => {
    const writer = linkWriter(model, false, idle);
    writer.publish(ch, '', queue, 'plain', { contentType: 'text/plain', correlationId: 'c' });
    const [m] = await receive(1);
    expect(m!.content.toString()).toBe('plain');
    expect(m!.properties.correlationId).toBe('c');
  });
});
