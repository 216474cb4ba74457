/**
 * Draining an agent's queue: the requests still waiting in it never ran, so they are handed back
 * to their mappers (on their reply route, header `x-nanite-bounced` = the agent), which send them
 * to another agent. Used when the agent pauses (graceful stop) and once more when its link closes.
 */
import type { Channel, Message } from 'amqplib';
import type { Serializer } from '../../serializer/serializer';
import type { AmqpNames } from './amqp.topology';
import { HEADER_BOUNCED, peekRequest } from './amqp.wire';

/** Hands every request still in `queue` back to its mapper; acknowledges (drops) anything else. */
export async function bounceQueued(ch: Channel, queue: string, identity: string, names: AmqpNames, serializer: Serializer): Promise<void> {
  for (;;) {
    const m = await ch.get(queue, { noAck: false });
    if (!m) return;
    let req;
    try {
      req = peekRequest(serializer.decode(m.content));
    } catch {
      req = undefined;
    }
    if (req) {
      // The original headers travel along: the mapper checks a push's tag before re-sending it.
      const headers = { ...m.properties.headers, [HEADER_BOUNCED]: identity };
      ch.publish(names.reply, req.replyTo, m.content, { ...publishProps(m), headers });
    }
    ch.ack(m);
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
