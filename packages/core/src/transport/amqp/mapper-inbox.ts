/**
 * The receive side of a mapper link, and its reply routing: heartbeats and results (on its named
 * queue and its direct reply-to), requests handed back by draining agents (on its reply route) and
 * messages the broker returned (`mandatory` publishes, probes included).
 */
import type { ConsumeMessage, Message } from 'amqplib';
import type { Logger } from '../../internal/logger';
import { decodePacket } from '../../protocol/decode';
import type { RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import type { PushTagger } from '../shared/push-tagger';
import type { RequestTracker } from '../shared/request-tracker';
import type { MapperSink } from '../transport';
import type { AgentProber } from './agent-prober';
import { fromBinaryChunk } from './amqp-chunks';
import type { AmqpNames } from './amqp.topology';
import { HEADER_BOUNCED, HEADER_CONTROL, HEADER_QUEUE, HEADER_QUEUE_NAME, HEADER_TAG, peekRequest } from './amqp.wire';
import type { QueueIncarnations } from './queue-incarnations';

/** What {@link MapperInbox} needs from its link. */
export interface MapperInboxSettings {
  id: string;
  sink: MapperSink;
  names: AmqpNames;
  serializer: Serializer;
  logger: Logger;
  tracker: RequestTracker;
  tagger: PushTagger;
  prober: AgentProber;
  incarnations: QueueIncarnations;
}

/** Receives a mapper link's messages. */
export class MapperInbox {
  private rejected = 0;
  /** What an agent's request queue name starts with (`P.agent.`): a request published by name comes back with that name as its key. */
  private readonly agentQueuePrefix: string;

  constructor(private readonly s: MapperInboxSettings) {
    this.agentQueuePrefix = s.names.agentQueue('');
  }

  /** Bounces this link refused (forged or stale). */
  get rejectedBounces(): number {
    return this.rejected;
  }

  /** A message on the mapper's queue or direct reply-to. */
  receive(m: ConsumeMessage | null): void {
    if (!m) return; // consumer cancelled by the broker: the channel close that follows re-attaches
    let packet: unknown = fromBinaryChunk(m.properties, m.content);
    try {
      packet ??= this.s.serializer.decode(m.content);
    } catch (err) {
      this.s.sink.onMalformed(`undecodable message: ${(err as Error).message}`);
      return;
    }
    const bounced: unknown = m.properties.headers?.[HEADER_BOUNCED];
    if (bounced !== undefined) {
      this.bounced(packet, bounced, m);
      return;
    }
    if (this.s.sink.accept) {
      // The sink verifies first (secure mode): a forged result must not close the real request's in-flight record.
      try {
        packet = this.s.sink.accept(packet);
      } catch (err) {
        this.s.logger.error({ mapper: this.s.id, err: (err as Error).message }, 'mapper sink threw');
        return;
      }
      if (packet === undefined) return;
      if (Array.isArray(packet)) {
        // A verified bundle (secure mode): several results and progress in one message.
        for (const member of packet as unknown[]) this.deliver(member, m);
        return;
      }
    }
    this.deliver(packet, m);
  }

  /** Acts on a (verified) packet's addressing, then hands it to the sink. */
  private deliver(packet: unknown, m: ConsumeMessage): void {
    // Validated before it touches the in-flight table (the mapper validates again, and counts what fails).
    const valid = decodePacket(packet);
    if (valid.ok) {
      const p = valid.packet;
      // A result closes its in-flight request; a Register or Ping is a sign of life (held requests go out).
      if (p.type === 'result') this.s.tracker.answered(p.from, p.id);
      else if (p.type === 'register' || p.type === 'ping') {
        const headers = m.properties.headers;
        if (this.s.incarnations.heard(p.identity, headers?.[HEADER_QUEUE], headers?.[HEADER_CONTROL] !== undefined, headers?.[HEADER_QUEUE_NAME])) this.s.tracker.requeued(p.identity);
        this.s.tracker.heardFrom(p.identity); // never throws: what it cannot re-send stays held (request-tracker.ts)
      }
    }
    try {
      this.s.sink.onPacket(packet);
    } catch (err) {
      // A throwing sink must not kill the channel (amqplib would close it).
      this.s.logger.error({ mapper: this.s.id, err: (err as Error).message }, 'mapper sink threw');
    }
  }

  /**
   * A message on this mapper's reply route claiming to be a request handed back by draining agent
   * `agent`. Anyone who may publish to `P.reply` can send that, so it is believed only when this
   * link sent exactly that to `agent`: a request still in flight there (and the stored packet, not
   * the bytes that came back, is what gets re-dispatched), or a push carrying this link's tag.
   * Anything else is dropped and counted: it must neither suspend a live agent nor have this
   * mapper re-send someone else's push under its identity.
   */
  private bounced(packet: unknown, agent: unknown, m: ConsumeMessage): void {
    const req = peekRequest(packet);
    if (req && typeof agent === 'string' && req.replyTo === this.s.id) {
      if (req.type === 'request') {
        const e = this.s.tracker.sent(agent, req.id);
        if (e) {
          this.s.tracker.take(agent, req.id);
          this.s.sink.onUndeliverable(e.packet, agent);
          return;
        }
      } else if (this.s.tagger.verify(agent, m.content, m.properties.headers?.[HEADER_TAG]) && decodePacket(packet).ok) {
        this.s.sink.onUndeliverable(packet as RequestPacket, agent);
        return;
      }
    }
    this.rejected++;
    this.s.sink.onMalformed('a bounced request or push this mapper did not send to that agent (forged or stale): ignored');
  }

  /** A message the broker returned: trusted, it is one this link published (on its channel or its confirm channel). */
  returned(m: Message): void {
    const { exchange, routingKey } = m.fields;
    let agent: string;
    if (exchange === this.s.names.agent) {
      if (this.s.prober.returned(routingKey, m.properties.type)) return;
      agent = routingKey;
    } else if (exchange === '' && routingKey.startsWith(this.agentQueuePrefix)) {
      // Published by name (only ever to an agent's own `P.agent.<identity>`: queue-incarnations.ts).
      agent = routingKey.slice(this.agentQueuePrefix.length);
    } else return;
    let packet: unknown;
    try {
      packet = this.s.serializer.decode(m.content);
    } catch {
      return; // we encoded it ourselves; cannot happen short of a serializer bug
    }
    this.undeliverable(packet, agent);
  }

  /** A request or push of this link did not reach `agent`: the mapper re-dispatches it (a request from its stored packet). */
  undeliverable(packet: unknown, agent: string): void {
    const req = peekRequest(packet);
    if (!req) return;
    const stored = req.type === 'request' ? this.s.tracker.take(agent, req.id) : undefined;
    this.s.sink.onUndeliverable(stored?.packet ?? (packet as RequestPacket), agent);
  }
}
