/**
 * Draining an agent's queue: the requests still waiting in it never ran, so they are handed back
 * to their mappers (on their reply route, header `x-nanite-bounced` = the agent), which send them
 * to another agent. Used when the agent pauses (graceful stop) and once more when its link closes.
 *
 * The queue is drained through a consumer with a large window rather than one `basic.get` per
 * message (a round trip each: 20,000 queued messages took ~9 s to hand back that way), polling the
 * queue's ready count until it is empty.
 */
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { Serializer } from '../../serializer/serializer';
import type { AmqpNames } from './amqp.topology';
import { CHUNK_CONTENT_TYPE } from './amqp-chunks';
import { HEADER_BOUNCED, peekRequest } from './amqp.wire';

/** Deliveries in flight to the draining consumer at once. */
const WINDOW = 1_000;
/** How often the queue's ready count is checked while draining (ms). */
const POLL = 20;

/**
 * Hands every request still in `queue` back to its mapper; acknowledges (drops) anything else,
 * reporting what is not a packet at all to `malformed`. `batch` coalesces the writes.
 */
export async function bounceQueued(ch: Channel, queue: string, identity: string, names: AmqpNames, serializer: Serializer, batch: () => void, malformed: (reason: string) => void): Promise<void> {
  if ((await ch.checkQueue(queue)).messageCount === 0) return;
  const bounce = (m: ConsumeMessage | null): void => {
    if (!m) return;
    let req;
    if (m.properties.contentType === CHUNK_CONTENT_TYPE) req = undefined; // an upload's binary chunk: a packet, just not JSON
    else {
      try {
        req = peekRequest(serializer.decode(m.content));
      } catch (err) {
        req = undefined;
        malformed(`undecodable message in the queue while draining: ${(err as Error).message}`);
      }
    }
    if (req) {
      // The original headers travel along: the mapper checks a push's tag before re-sending it.
      const headers = { ...m.properties.headers, [HEADER_BOUNCED]: identity };
      ch.publish(names.reply, req.replyTo, m.content, { ...publishProps(m), headers });
    }
    ch.ack(m);
    batch();
  };
  await ch.prefetch(WINDOW);
  const { consumerTag } = await ch.consume(queue, bounce, { noAck: false });
  try {
    // Ready messages only: what was delivered to the consumer is handed back as it arrives.
    while ((await ch.checkQueue(queue)).messageCount > 0) await new Promise((resolve) => setTimeout(resolve, POLL));
  } finally {
    // Deliveries sent before the cancel-ok are dispatched (and handed back) before it resolves.
    await ch.cancel(consumerTag);
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
