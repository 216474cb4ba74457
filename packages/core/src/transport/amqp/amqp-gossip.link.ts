/**
 * Mapper-to-mapper gossip on amqp:// (the roster's anti-entropy): a fanout exchange
 * `<p>.gossip` for digests, a direct exchange `<p>.gossip.direct` for deltas (routing key = mapper
 * id), and one exclusive queue per mapper bound to both. The queue is bounded (length and message
 * TTL): gossip that waited longer than a few digest periods is stale, and the next digest repairs
 * whatever was dropped.
 */
import type { Channel, Message } from 'amqplib';
import type { Logger } from '../../internal/logger';
import type { Serializer } from '../../serializer/serializer';
import type { GossipLink, GossipSink } from '../gossip';
import type { AmqpConnection } from './amqp.connection';
import { LinkAttacher, type AttachableLink } from './link-attacher';

/** Most gossip messages a mapper's queue holds (oldest dropped first). */
const QUEUE_LENGTH = 1_000;
/** Gossip older than this (ms) is dropped by the broker. */
const MESSAGE_TTL = 10_000;

/** What a gossip link needs from its transport. */
export interface AmqpGossipSettings {
  connection: AmqpConnection;
  prefix: string;
  serializer: Serializer;
  logger: Logger;
  onClosed(link: AmqpGossipLink): void;
}

/** Exchange and queue names of the gossip under `prefix`. */
export function gossipNames(prefix: string): { fanout: string; direct: string; queue(id: string): string } {
  return { fanout: `${prefix}.gossip`, direct: `${prefix}.gossip.direct`, queue: (id) => `${prefix}.gossip.${id}` };
}

/** One mapper's gossip endpoint on the broker. */
export class AmqpGossipLink implements GossipLink, AttachableLink {
  private ch: Channel | undefined;
  private closing: Promise<void> | undefined;
  private readonly attacher: LinkAttacher;
  private readonly names: ReturnType<typeof gossipNames>;

  constructor(
    readonly id: string,
    private readonly sink: GossipSink,
    private readonly s: AmqpGossipSettings,
  ) {
    this.names = gossipNames(s.prefix);
    this.attacher = new LinkAttacher({ role: 'mapper', bindings: { mapper: id, link: 'gossip' }, connection: s.connection, logger: s.logger }, this);
  }

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    return this.attacher.open();
  }

  /** @internal AttachableLink */
  lost(): void {
    this.ch = undefined;
  }

  /** @internal AttachableLink */
  channelClosed(ch: Channel): boolean {
    if (this.ch !== ch) return false;
    this.lost();
    this.attacher.opened();
    return true;
  }

  /** @internal AttachableLink */
  async setup(ch: Channel, _model: unknown, stale: () => boolean): Promise<void> {
    const n = this.names;
    await ch.assertExchange(n.fanout, 'fanout', { durable: true });
    await ch.assertExchange(n.direct, 'direct', { durable: true });
    const queue = n.queue(this.id);
    await ch.assertQueue(queue, { exclusive: true, arguments: { 'x-max-length': QUEUE_LENGTH, 'x-message-ttl': MESSAGE_TTL } });
    await ch.bindQueue(queue, n.fanout, '');
    await ch.bindQueue(queue, n.direct, this.id);
    await ch.consume(queue, (m) => this.receive(m), { noAck: true });
    if (stale()) {
      if (this.attacher.isClosed) await ch.deleteQueue(queue);
      await ch.close();
      return;
    }
    this.ch = ch;
    this.attacher.opened();
  }

  private receive(m: Message | null): void {
    if (!m) {
      // The broker cancelled our consumer (queue deleted): attach again.
      this.attacher.reattachSoon();
      return;
    }
    let decoded: unknown;
    try {
      decoded = this.s.serializer.decode(m.content);
    } catch (err) {
      this.sink.onMalformed?.(`gossip not decodable: ${(err as Error).message}`);
      return;
    }
    this.sink.onMessage(decoded);
  }

  broadcast(message: object): void {
    this.ch?.publish(this.names.fanout, '', this.s.serializer.encode(message), { contentType: this.s.serializer.contentType });
  }

  send(to: string, message: object): void {
    this.ch?.publish(this.names.direct, to, this.s.serializer.encode(message), { contentType: this.s.serializer.contentType });
  }

  /** Deletes the queue and closes the channel. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.attacher.close();
    const ch = this.ch;
    this.lost();
    try {
      if (ch) {
        await ch.deleteQueue(this.names.queue(this.id));
        await ch.close();
      }
    } catch (err) {
      this.s.logger.debug({ mapper: this.id, err: (err as Error).message }, 'gossip link closed with the connection already gone');
    }
    this.s.onClosed(this);
  }
}
