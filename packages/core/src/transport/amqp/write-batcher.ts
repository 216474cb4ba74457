/**
 * When a link's frames reach the socket: at once when the connection is idle, batched when it is busy.
 *
 * amqplib does not write a publish or an ack to the socket when it is made: it queues it in the
 * channel's buffer stream, whose 'readable' event (a nextTick) schedules its muxer (a setImmediate),
 * which then writes every channel's frames separately. Two things follow.
 *
 * - At low load that hop is on the critical path of every round trip: the frames wait for the
 *   rest of the turn (the handler's bookkeeping, the ack, the caller's next steps) and for the
 *   stream machinery. Measured at concurrency 1 (`bench/amqp/trace.js`): 17–23 µs per side from
 *   publish to write, against ~7 µs for a bare amqplib responder. So when the link is not busy —
 *   the message being answered or sent is the only one it has in flight (the link tells, `busy`),
 *   nothing written yet in this turn, nothing waiting in the socket — a write is taken out of the
 *   channel's buffer and written at once. When it is busy, writing the first write of each turn
 *   alone settles the link into a regime of one message per turn (measured at 64 in flight: one
 *   write syscall per request instead of one per ~7, twice the system time, −15–25 % requests/s),
 *   so it waits for the rest of the turn.
 * - At high load every frame set is its own syscall and TCP segment: at 10k+ messages/s that is most
 *   of a Node process's CPU and a good share of the broker's (it reads and parses segment by
 *   segment). From the second write of a turn on, the socket is corked until amqplib's muxer has
 *   flushed them all (its setImmediate is scheduled from a nextTick queued by the write; ours from
 *   a nextTick queued after that write, so it runs after the muxer), and uncorked then: one writev
 *   per turn, without adding a timer.
 *
 * Requests and replies themselves are encoded here (publish-frames.ts) rather than by amqplib's
 * generic codec, and, when the channel has nothing queued before them, written without passing
 * through amqplib's channel stream at all (each writer keeps, per destination, the frame bytes that
 * repeat: publish-frames.ts, `PublishEncoder`). A reply written at once carries the ack of the
 * delivery it answers in the same buffer (an agent's `publish(..., ack)`): one segment and one syscall
 * instead of the reply and, a tick later, the ack through amqplib's stream (measured at
 * concurrency 1, `bench/amqp/cpu.mjs`: responder CPU 135 vs 184 µs per request).
 *
 * - When the socket's buffer passes its high-water mark (a busy turn's writev of more than 16 KiB),
 *   amqplib's muxer stops and waits for the socket's 'drain', then writes what its channels hold
 *   frame by frame, each a `write` of its own, uncorked: one syscall per frame for the rest of the
 *   burst. Measured at 256 requests in flight, 100 B: 13 % of the caller's time and 8 % of the
 *   responder's in those single writes. The socket is corked for the length of the muxer's 'drain'
 *   handler (a listener placed before amqplib's, uncorking on the next tick), so what it writes
 *   then leaves as one writev, and the muxer still stops at the high-water mark as before.
 *
 * The socket (`connection.stream`), the channel buffers (`connection.channels[n]`) and the tuned
 * `frameMax` are amqplib internals, not its typed API: when they are missing or of another shape,
 * the write in question is simply left to amqplib (`ch.publish`), and everything works as before.
 * A channel that is closing or closed (amqplib then replaces its `sendMessage`) is always left to
 * amqplib, which throws as it should.
 */
import type { Channel, ChannelModel, Options } from 'amqplib';
import { PublishEncoder, type PublishProps } from './publish-frames';

interface Socket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  writableLength: number;
  prependListener?(event: 'drain', listener: () => void): unknown;
}

/** Marks a socket whose 'drain' writes are corked already (one link writer per attach, several attaches per connection). */
const DRAIN_CORKED = Symbol('nanite.drainCorked');

/** amqplib's per-channel outgoing buffer (an object-mode PassThrough of frame buffers). */
interface FrameBuffer {
  read(): unknown;
  write(chunk: Buffer): boolean;
  readableLength: number;
  writableLength: number;
}

interface ConnectionInternals {
  stream?: Partial<Socket>;
  channels?: ReadonlyArray<{ channel?: unknown; buffer?: Partial<FrameBuffer> } | null | undefined>;
  frameMax?: unknown;
  sentSinceLastCheck?: boolean;
}

/** A publish made through {@link LinkWriter.publish}: its properties and `mandatory`. */
export interface LinkPublish extends PublishProps {
  mandatory?: boolean;
}

/** Writes one link's frames to its connection's socket (see the file comment). */
export interface LinkWriter {
  /** Call right after every publish or ack made through amqplib, with its channel when a reply waits for it. */
  batch(ch?: Channel): void;
  /**
   * Publishes `body` (bytes, or text sent as UTF-8) on `ch` (the fast path when it can, else
   * amqplib), then batches; returns the body's bytes as published. Throws as `ch.publish` does.
   * `ack`: a delivery tag of `ch` the publish settles; when the publish is written at once, its ack
   * goes in the same write (after it) and {@link ackSent} is true: the broker gets one segment,
   * not a reply then an ack. Otherwise the caller acknowledges as usual.
   */
  publish(ch: Channel, exchange: string, routingKey: string, body: Buffer | string, p: LinkPublish, ack?: number): Buffer;
  /** Whether the last {@link publish} wrote the ack it was given. */
  readonly ackSent: boolean;
}

/**
 * The writer of `model`'s connection; with `enabled` false (or amqplib not of the expected shape)
 * every write is left to amqplib as it comes. `busy`: the link has more than the one message at
 * hand in flight (a mapper: requests awaiting results; an agent: deliveries not yet acknowledged).
 */
export function linkWriter(model: ChannelModel, enabled: boolean, busy: () => boolean): LinkWriter {
  const conn = model.connection as unknown as ConnectionInternals;
  const stream = conn.stream;
  if (!enabled || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function' || typeof stream.write !== 'function') return AMQPLIB_ONLY;
  const socket = stream as Socket;
  corkDrainWrites(socket);
  let calls = 0;
  let corked = false;
  const newTurn = (): void => void (calls = 0);
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  // Scheduled from a nextTick queued after the write that scheduled amqplib's muxer (its
  // setImmediate comes from the channel stream's 'readable' nextTick), so it runs after the muxer.
  const uncorkLater = (): void => void setImmediate(uncork);
  /** Counts a write of this turn, made already when it went through amqplib; true when it is the turn's first (the caller may write it at once). */
  const count = (): boolean => {
    if (++calls === 1) {
      setImmediate(newTurn);
      return true;
    }
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncorkLater);
    }
    return false;
  };
  /** The link is not busy: a write may leave at once. */
  const idle = (): boolean => socket.writableLength === 0 && !busy();
  let ackSent = false;
  const encoder = new PublishEncoder();
  return {
    get ackSent() {
      return ackSent;
    },
    batch(ch) {
      if (count() && ch && idle()) writeNow(conn, socket, ch);
    },
    publish(ch, exchange, routingKey, body, p, ack) {
      ackSent = false;
      const n = channelNumber(ch);
      const entry = n === undefined ? undefined : conn.channels?.[n];
      const buffer = entry?.buffer;
      const frameMax = conn.frameMax;
      const fast = n !== undefined && entry?.channel === ch && !Object.prototype.hasOwnProperty.call(ch, 'sendMessage') && typeof buffer?.write === 'function' && typeof frameMax === 'number';
      // Straight to the socket only when nothing of this channel is queued before it (order) and the socket is idle;
      // then the ack of the delivery it answers goes in the same buffer, after it (one write, one segment).
      const now = fast && calls === 0 && idle() && buffer.readableLength === 0 && buffer.writableLength === 0;
      const frames = fast ? encoder.encode(n, exchange, routingKey, p.mandatory === true, p, body, frameMax, now ? ack : undefined) : undefined;
      if (!frames || !buffer) {
        const bytes = publishThroughAmqplib(ch, exchange, routingKey, body, p);
        if (count() && idle()) writeNow(conn, socket, ch);
        return bytes;
      }
      conn.sentSinceLastCheck = true;
      if (now) {
        count();
        socket.write(frames);
        ackSent = ack !== undefined;
      } else {
        (buffer as FrameBuffer).write(frames);
        count();
      }
      return typeof body === 'string' ? encoder.body(frames) : body;
    },
  };
}

/** Corks `socket` while amqplib's muxer writes what waited for its 'drain' (see the file comment); once per socket. */
function corkDrainWrites(socket: Socket): void {
  const marked = socket as Socket & { [DRAIN_CORKED]?: true };
  if (marked[DRAIN_CORKED] || typeof socket.prependListener !== 'function') return;
  marked[DRAIN_CORKED] = true;
  const uncork = (): void => socket.uncork();
  socket.prependListener('drain', () => {
    socket.cork();
    process.nextTick(uncork);
  });
}

/** The writer of a link that has no connection, or batches nothing: amqplib writes as it comes. */
export const AMQPLIB_ONLY: LinkWriter = {
  batch() {},
  publish: publishThroughAmqplib,
  ackSent: false,
};

/** `ch.publish` of `body` (text made bytes) with `p`; returns the bytes published. */
function publishThroughAmqplib(ch: Channel, exchange: string, routingKey: string, body: Buffer | string, p: LinkPublish): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  ch.publish(exchange, routingKey, bytes, amqplibOptions(p));
  return bytes;
}

/** amqplib's number of channel `ch` (its index in `connection.channels`), when of the expected shape. */
function channelNumber(ch: Channel): number | undefined {
  const n = (ch as unknown as { ch?: unknown }).ch;
  return typeof n === 'number' ? n : undefined;
}

function amqplibOptions(p: LinkPublish): Options.Publish {
  const o: Options.Publish = { contentType: p.contentType };
  if (p.mandatory !== undefined) o.mandatory = p.mandatory;
  if (p.correlationId !== undefined) o.correlationId = p.correlationId;
  if (p.replyTo !== undefined) o.replyTo = p.replyTo;
  if (p.expiration !== undefined) o.expiration = p.expiration;
  if (p.type !== undefined) o.type = p.type;
  return o;
}

/** Moves what `ch` has queued in amqplib (whole frame sets, always Buffers) straight to the socket, in order, as one write. */
function writeNow(conn: ConnectionInternals, socket: Socket, ch: Channel): void {
  const n = channelNumber(ch);
  const buffer = n === undefined ? undefined : conn.channels?.[n]?.buffer;
  if (typeof buffer?.read !== 'function') return;
  const first = buffer.read() as Buffer | null;
  if (first === null) return;
  let next = buffer.read() as Buffer | null;
  if (next === null) {
    socket.write(first);
    return;
  }
  socket.cork();
  socket.write(first);
  for (; next !== null; next = buffer.read() as Buffer | null) socket.write(next);
  socket.uncork();
}
