/**
 * The receive path of an agent link: every delivery of its request queue and park queues, turned
 * into one `sink.onPacket(packet, settle)` call or dropped and counted.
 *
 * In order: probes are acknowledged and ignored; undecodable bytes and invalid requests are
 * dropped (nothing is remembered about them); copies of a running request are answered from the
 * reply cache or ignored; a redelivered at-most-once push is dropped (it may have run); the rest
 * is handed to the agent.
 *
 * Every delivery is acknowledged when the agent settles it, at-most-once ones included: the
 * acknowledgement is what opens the broker's prefetch window, so acknowledging on receipt would
 * let whoever marks messages at-most-once flood the agent's memory. At-most-once is kept instead
 * by never running a redelivery twice (the broker redelivers what was unacknowledged when a channel
 * failed): a redelivered request is answered from the reply cache, a redelivered at-most-once
 * push is dropped.
 */
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import type { Logger } from '../../internal/logger';
import { decodePacket } from '../../protocol/decode';
import type { Serializer } from '../../serializer/serializer';
import type { ReplyCache } from '../shared/reply-cache';
import type { AgentSink, Settle } from '../transport';
import type { AgentReplies } from './agent-replies';
import { fromBinaryChunk } from './amqp-chunks';
import type { AmqpDelivery } from './amqp.options';
import { HEADER_RESENT, peekRequest, PROBE_TYPE, TYPE_AT_MOST_ONCE, type RequestPeek } from './amqp.wire';
import { DIRECT_REPLY_TO } from './amqp.topology';

/** What {@link AgentInbox} needs from its link. */
export interface AgentInboxSettings {
  identity: string;
  sink: AgentSink;
  serializer: Serializer;
  logger: Logger;
  delivery: AmqpDelivery;
  routeDelivery: Readonly<Record<string, AmqpDelivery>>;
  cache: ReplyCache;
  replies: AgentReplies;
  /** Acknowledges a delivery of `ch` from the request queue or a park queue. */
  ack(ch: Channel, m: Message): void;
  /** Acknowledges a delivery of `ch` from the control queue. */
  ackControl(ch: Channel, m: Message): void;
  /** The broker cancelled a consumer of `ch` (its queue was deleted under it): attach again. */
  cancelled(ch: Channel): void;
}

/** Receives an agent link's deliveries. */
export class AgentInbox {
  private rejectedCopies = 0;
  private droppedRedeliveries = 0;

  constructor(private readonly s: AgentInboxSettings) {}

  /** What the inbox holds or refused. */
  get stats(): { rejectedCopies: number; droppedRedeliveries: number } {
    return { rejectedCopies: this.rejectedCopies, droppedRedeliveries: this.droppedRedeliveries };
  }

  /**
   * One delivery of the control queue: what follows a running request (chunks, their end, credit,
   * cancels). A request or push there is dropped and counted: it would run outside the prefetch
   * window that bounds the agent's work.
   */
  receiveControl(ch: Channel, m: ConsumeMessage | null): void {
    if (!m) {
      this.s.cancelled(ch);
      return;
    }
    const ack = this.s.ackControl;
    if (m.properties.type === PROBE_TYPE) {
      ack(ch, m);
      return;
    }
    let packet: unknown = fromBinaryChunk(m.properties, m.content);
    try {
      packet ??= this.s.serializer.decode(m.content);
    } catch (err) {
      this.drop(ch, m, `undecodable message: ${(err as Error).message}`, ack);
      return;
    }
    if (peekRequest(packet)) {
      this.drop(ch, m, 'a request or push on the control queue (requests go to the request queue): dropped', ack);
      return;
    }
    this.deliver(ch, m, packet, undefined, false, ack);
  }

  /** One delivery on `ch` (from the agent's queue, or from a park queue when `parked`). */
  receive(ch: Channel, m: ConsumeMessage | null, parked: boolean): void {
    if (!m) {
      this.s.cancelled(ch);
      return;
    }
    if (m.properties.type === PROBE_TYPE) {
      this.s.ack(ch, m);
      return;
    }
    let packet: unknown = fromBinaryChunk(m.properties, m.content);
    try {
      packet ??= this.s.serializer.decode(m.content);
    } catch (err) {
      this.drop(ch, m, `undecodable message: ${(err as Error).message}`);
      return;
    }
    const req = peekRequest(packet);
    if (req) {
      // Validated before anything is remembered about it: an invalid request would never be answered, so never leave the cache.
      const valid = decodePacket(packet);
      if (!valid.ok) {
        this.drop(ch, m, valid.reason);
        return;
      }
      if (req.type === 'request' && this.duplicate(ch, m, req, streams(packet))) return;
    }
    this.deliver(ch, m, packet, req, parked);
  }

  private drop(ch: Channel, m: Message, reason: string, ack = this.s.ack): void {
    ack(ch, m);
    this.s.sink.onMalformed(reason);
  }

  /** Handles a copy of a request that is running or finished; false for a request to run. */
  private duplicate(ch: Channel, m: Message, req: RequestPeek, streaming: boolean): boolean {
    const session = typeof m.properties.correlationId === 'string' ? m.properties.correlationId : '';
    const resent = m.fields.redelivered || m.properties.headers?.[HEADER_RESENT] !== undefined;
    const running = this.s.cache.running(req.replyTo, req.id);
    if (running) {
      this.s.ack(ch, m);
      // The reply address stays the one of the first copy, whatever a later copy says: a re-send
      // by the same mapper link (after it reconnected, so its old address may be dead) only adds
      // the mapper's own named queue, which the packet's `replyTo` names and nobody else reads.
      if (resent && running.session === session) running.resent = true;
      else {
        this.rejectedCopies++;
        this.s.sink.onMalformed('another copy of a request that is running (not a re-send by its mapper): ignored');
      }
      return true;
    }
    const done = resent ? this.s.cache.finished(req.replyTo, req.id, session) : undefined;
    if (done) {
      // Answered through the named queue only, for the same reason.
      this.s.ack(ch, m);
      this.s.replies.send({ mapper: req.replyTo, address: undefined, named: true, bytes: done });
      return true;
    }
    // Only a direct reply-to address is published to (through the default exchange, which routes to any
    // queue by name): a request naming another queue there would have the agent write into it.
    const address = isDirectReplyAddress(m.properties.replyTo) ? m.properties.replyTo : undefined;
    // A stream's delivery is settled when it starts, not by its result: only the others may be acknowledged with their reply.
    this.s.cache.begin(req.replyTo, req.id, session, address, streaming ? undefined : { channel: ch, tag: m.fields.deliveryTag });
    return false;
  }

  private deliver(ch: Channel, m: Message, packet: unknown, req: RequestPeek | undefined, parked: boolean, ack = this.s.ack): void {
    // Parked requests are always run again when redelivered: an agent dying mid-handler gives them back to the durable queue.
    const atMostOnce = !parked && (this.s.delivery === 'at-most-once' || m.properties.type === TYPE_AT_MOST_ONCE || (req !== undefined && this.s.routeDelivery[req.route] === 'at-most-once'));
    if (atMostOnce && m.fields.redelivered && req?.type === 'push') {
      this.droppedRedeliveries++;
      this.drop(ch, m, 'an at-most-once push redelivered after a channel failure (it may have run already): dropped', ack);
      return;
    }
    let settled = false;
    // A result stream is settled when it starts (so that credit from a mapper of an earlier release,
    // sent to the request queue, gets through the prefetch window); its replies still go to the first
    // copy's address, and its end packet finishes the entry.
    const streaming = req?.type === 'request' && streams(packet);
    const settle: Settle = () => {
      if (settled) return;
      settled = true;
      ack(ch, m);
      // Settled without a result (a push, or the agent dropped it): nothing will finish its cache entry.
      if (req?.type === 'request' && !streaming) this.s.cache.end(req.replyTo, req.id);
    };
    try {
      this.s.sink.onPacket(packet, settle);
    } catch (err) {
      // A throwing sink must not kill the channel (amqplib would close it); the agent's own handlers never throw here.
      this.s.logger.error({ agent: this.s.identity, err: (err as Error).message }, 'agent sink threw');
    }
  }
}

/** A request whose delivery is settled when its stream starts (a result stream or an upload). */
function streams(packet: unknown): boolean {
  return (packet as { stream?: unknown }).stream !== undefined || (packet as { upload?: unknown }).upload === true;
}

/** What the broker puts in `replyTo` for a request published with direct reply-to: `amq.rabbitmq.reply-to.<channel key>`. */
const DIRECT_REPLY_PREFIX = `${DIRECT_REPLY_TO}.`;

function isDirectReplyAddress(x: unknown): x is string {
  return typeof x === 'string' && x.length > DIRECT_REPLY_PREFIX.length && x.startsWith(DIRECT_REPLY_PREFIX);
}
