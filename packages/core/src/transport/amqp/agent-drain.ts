/**
 * Draining an agent's queue: the requests still waiting in it never ran, so they are handed back
 * to their mappers (on their reply route, header `x-nanite-bounced` = the agent), which send them
 * to another agent. Used when the agent pauses (graceful stop) and once more when its link closes.
 *
 * While the agent pauses, its running requests still get what follows them (upload chunks and
 * their end, a reader's credit, cancels). Those go to the agent's control queue, consumed until
 * close; mappers of earlier releases send them to the request queue (with the identity's key, or the
 * probe key that stays bound while draining): the pause's drain hands those to the agent's inbox
 * (`follow`) and keeps consuming until the link closes. The last pass, at close, drops them.
 *
 * The queue is drained through a consumer with a large window rather than one `basic.get` per
 * message (a round trip each: 20,000 queued messages took ~9 s to hand back that way), polling the
 * queue's ready count until it is empty.
 */
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { Serializer } from '../../serializer/serializer';
import type { AmqpNames } from './amqp.topology';
import { CHUNK_CONTENT_TYPE } from './amqp-chunks';
import { HEADER_BOUNCED, peekRequest, PROBE_TYPE } from './amqp.wire';

/** Deliveries in flight to the draining consumer at once. */
const WINDOW = 1_000;
/** How often the queue's ready count is checked while draining (ms). */
const POLL = 20;

/** What a {@link QueueDrain} needs. */
export interface QueueDrainSettings {
  ch: Channel;
  queue: string;
  identity: string;
  names: AmqpNames;
  serializer: Serializer;
  /** Acknowledges a delivery the drain is done with (bounced or dropped). */
  ack(m: Message): void;
  /** What is not a packet at all. */
  malformed(reason: string): void;
  /** Takes every delivery that is not a request or push (the inbox acknowledges it); without it they are dropped. */
  follow?: (m: ConsumeMessage) => void;
}

/** A consumer handing back what is queued, from `start()` until `stop()`. */
export class QueueDrain {
  private tag: string | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly s: QueueDrainSettings) {}

  /** The channel it consumes on. */
  get channel(): Channel {
    return this.s.ch;
  }

  /** Starts consuming (the window applies to this consumer only). Idempotent; nothing once stopped. */
  start(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.starting ??= (async () => {
      await this.s.ch.prefetch(WINDOW);
      this.tag = (await this.s.ch.consume(this.s.queue, (m) => this.take(m), { noAck: false })).consumerTag;
    })();
    return this.starting;
  }

  /** Resolves once no message is ready in the queue: what was delivered is handed back as it arrives. */
  async emptied(): Promise<void> {
    while ((await this.s.ch.checkQueue(this.s.queue)).messageCount > 0) await new Promise((resolve) => setTimeout(resolve, POLL));
  }

  /** Cancels the consumer (once it started, if it was starting); deliveries sent before the cancel-ok are taken before it resolves. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    const tag = this.tag;
    this.tag = undefined;
    if (tag !== undefined) await this.s.ch.cancel(tag);
  }

  private take(m: ConsumeMessage | null): void {
    if (!m) return;
    const { s } = this;
    let req;
    let undecodable: string | undefined;
    if (m.properties.type === PROBE_TYPE || m.properties.contentType === CHUNK_CONTENT_TYPE) req = undefined; // a probe, an upload's binary chunk: not requests
    else {
      try {
        req = peekRequest(s.serializer.decode(m.content));
      } catch (err) {
        undecodable = (err as Error).message;
      }
    }
    if (req) {
      // The original headers travel along: the mapper checks a push's tag before re-sending it.
      const headers = { ...m.properties.headers, [HEADER_BOUNCED]: s.identity };
      s.ch.publish(s.names.reply, req.replyTo, m.content, { ...publishProps(m), headers });
    } else if (s.follow) {
      s.follow(m); // the inbox acknowledges it, and judges (and counts) what is malformed
      return;
    } else if (undecodable !== undefined) s.malformed(`undecodable message in the queue while draining: ${undecodable}`);
    s.ack(m);
  }
}

/**
 * Hands every request still in `queue` back to its mapper and drops anything else (one pass: from
 * now until the queue is empty).
 */
export async function bounceQueued(s: Omit<QueueDrainSettings, 'follow'>): Promise<void> {
  if ((await s.ch.checkQueue(s.queue)).messageCount === 0) return;
  const drain = new QueueDrain(s);
  await drain.start();
  try {
    await drain.emptied();
  } finally {
    await drain.stop();
  }
}

/** How long {@link deleteDrained} waits for a queue that keeps filling to be empty before it deletes it with what it holds (ms). */
const DELETE_PATIENCE = 1_000;

/**
 * Hands back what is queued, then deletes the queue only if it is still empty (`ifEmpty`, checked by
 * the queue itself). A mapper that had not heard the agent drain may still publish to the queue by
 * name (through the default exchange, which no unbinding stops); whatever landed there after the
 * last check would be lost with the queue, where a publish after the delete comes back to its mapper
 * (`mandatory`). A queue that was not empty any more refuses the delete, which closes its channel:
 * the next try hands back what arrived, on a channel from `open`. Mappers stop publishing to an agent
 * once a request comes back, so this ends; a queue still filling after {@link DELETE_PATIENCE} ms is
 * deleted with what it holds. Each try runs on a channel from `open`; resolves with the one still open.
 */
export async function deleteDrained(settings: (ch: Channel) => Omit<QueueDrainSettings, 'follow'>, open: () => Promise<Channel>): Promise<Channel> {
  const giveUpAt = Date.now() + DELETE_PATIENCE;
  for (;;) {
    const ch = await open();
    const s = settings(ch);
    await bounceQueued(s);
    const ifEmpty = Date.now() < giveUpAt;
    try {
      await ch.deleteQueue(s.queue, { ifEmpty });
      return ch;
    } catch (err) {
      // PRECONDITION_FAILED closed the channel: something arrived since the check.
      if ((err as { code?: unknown }).code !== 406 || !ifEmpty) throw err;
    }
  }
}

function publishProps(m: Message): Record<string, unknown> {
  const p = m.properties;
  const out: Record<string, unknown> = {};
  if (p.contentType) out.contentType = p.contentType;
  if (p.correlationId) out.correlationId = p.correlationId;
  if (p.replyTo) out.replyTo = p.replyTo;
  if (p.type) out.type = p.type;
  return out;
}
