/**
 * Reply routing of an agent link: where a result or progress goes, and what happens to it while
 * the link has no channel.
 *
 * A reply goes to the direct reply-to address of the request's first copy (the fast path), and to
 * the mapper's named queue (`P.reply`, key = mapper identity) when there is no such address or the
 * mapper re-sent the request after a reconnect (its old address may be dead). Replies made while
 * disconnected wait in a bounded buffer (oldest dropped: the mapper asks again after reconnecting).
 */
import type { Channel } from 'amqplib';
import { BurstLog } from '../../internal/burst-log';
import type { Logger } from '../../internal/logger';
import type { ReplyPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import { PublishBuffer } from '../shared/publish-buffer';
import type { ReplyCache, RunningRequest } from '../shared/reply-cache';
import { binaryChunk, CHUNK_CONTENT_TYPE } from './amqp-chunks';
import type { AmqpNames } from './amqp.topology';
import type { LinkWriter } from './write-batcher';

/** A reply to publish. */
export interface PendingReply {
  mapper: string;
  /** Direct reply-to address of the request's first copy, if it had one. */
  address: string | undefined;
  /** Also (or, without an address, only) through the mapper's named queue. */
  named: boolean;
  /** The encoded packet (text: the serializer's UTF-8 form, written straight into the frame). */
  bytes: Buffer | string;
  /** Headers of a binary stream chunk (see amqp-chunks.ts); its `bytes` are then the chunk's own. */
  chunk?: Record<string, unknown>;
  /** The delivery this result settles, to acknowledge in the same write when it leaves at once. */
  delivery?: RunningRequest['delivery'];
}

/** What {@link AgentReplies} needs from its link. */
export interface AgentRepliesSettings {
  identity: string;
  names: AmqpNames;
  serializer: Serializer;
  logger: Logger;
  bufferSize: number;
  cache: ReplyCache;
  /** The link's channel, when attached. */
  channel(): Channel | undefined;
  /** The link's writer (write-batcher.ts). */
  writer(): LinkWriter;
  /** The delivery `tag` of the link's channel was acknowledged with its reply (the settle that follows must not acknowledge it again). */
  ackedWithReply(tag: number): void;
}

/** Sends an agent's results and progress to their mappers. */
export class AgentReplies {
  private readonly buffer: PublishBuffer<PendingReply>;
  private readonly dropped: BurstLog;

  constructor(private readonly s: AgentRepliesSettings) {
    this.buffer = new PublishBuffer(s.bufferSize, 'reply');
    this.dropped = new BurstLog({
      logger: s.logger,
      bindings: { agent: s.identity },
      message: 'reply buffer full: dropped the oldest replies (their mappers ask again after reconnecting; further ones in the next 10 s are only counted)',
    });
  }

  /** Sends a result or progress of a request this agent runs (a result also goes into the reply cache), or a survey answer (named queue, not cached). */
  reply(mapper: string, packet: ReplyPacket): void {
    if (packet.type === 'answer') {
      this.send({ mapper, address: undefined, named: true, bytes: this.s.serializer.encode(packet) });
      return;
    }
    const running = this.s.cache.running(mapper, packet.id);
    const bin = packet.type === 'chunk' ? binaryChunk(packet) : undefined;
    if (bin) {
      this.send({ mapper, address: running?.address, named: running?.resent === true, bytes: bin.body, chunk: bin.headers });
      return;
    }
    const encoded = this.s.serializer.encodeText?.(packet) ?? this.s.serializer.encode(packet);
    if (packet.type !== 'result') {
      this.send({ mapper, address: running?.address, named: running?.resent === true, bytes: encoded });
      return;
    }
    // Sent first, cached right after (the cache is for a later re-send; the reply is what the caller waits for).
    let sent: Buffer | undefined;
    try {
      sent = this.send({ mapper, address: running?.address, named: running?.resent === true, bytes: encoded, delivery: running?.delivery });
    } finally {
      this.s.cache.finish(mapper, packet.id, sent ?? toBytes(encoded));
    }
  }

  /**
   * Results and progress for one mapper, sent as one message per way to it (see
   * `AgentLink.replyMany`): grouped by reply address and named-queue need, each group encoded once
   * and its results cached with that message.
   */
  replyMany(mapper: string, packets: readonly ReplyPacket[], seal: (group: readonly ReplyPacket[]) => ReplyPacket | undefined): void {
    const groups = new Map<string, { address: string | undefined; named: boolean; packets: ReplyPacket[] }>();
    for (const p of packets) {
      const running = p.type === 'result' || p.type === 'progress' ? this.s.cache.running(mapper, p.id) : undefined;
      const address = running?.address;
      const named = running?.resent === true;
      const key = `${named ? 1 : 0}${address ?? ''}`;
      const g = groups.get(key);
      if (g) g.packets.push(p);
      else groups.set(key, { address, named, packets: [p] });
    }
    for (const g of groups.values()) {
      const outer = seal(g.packets);
      if (!outer) continue;
      const bytes = this.s.serializer.encode(outer);
      // Each result is charged its share of the message, so the cache keeps as many as it would alone.
      const share = Math.ceil(bytes.length / g.packets.length);
      for (const p of g.packets) if (p.type === 'result') this.s.cache.finish(mapper, p.id, bytes, share);
      this.send({ mapper, address: g.address, named: g.named, bytes });
    }
  }

  /** Sends an encoded reply now, or holds it until the link is attached again; returns its bytes. */
  send(r: PendingReply): Buffer {
    const ch = this.s.channel();
    if (ch) return this.publish(ch, r);
    const bytes = toBytes(r.bytes);
    if (!this.buffer.pushDroppingOldest({ ...r, bytes })) this.dropped.record();
    return bytes;
  }

  /** Publishes what waited for the channel. */
  flush(ch: Channel): void {
    for (const r of this.buffer.drain()) this.publish(ch, r);
  }

  clear(): void {
    this.buffer.clear();
  }

  private publish(ch: Channel, r: PendingReply): Buffer {
    const contentType = r.chunk ? CHUNK_CONTENT_TYPE : this.s.serializer.contentType;
    const headers = r.chunk;
    // No `mandatory` on direct reply-to (measured: it costs the broker ~30% of its RPC throughput).
    // A reply to a stale address (the mapper reconnected) is then dropped, and that is covered:
    // the reconnected mapper re-sends the request and gets the result from the reply cache.
    const writer = this.s.writer();
    if (headers) {
      const bytes = toBytes(r.bytes);
      if (r.address) ch.publish('', r.address, bytes, { contentType, correlationId: r.mapper, headers });
      if (!r.address || r.named) ch.publish(this.s.names.reply, r.mapper, bytes, { contentType, correlationId: r.mapper, mandatory: true, headers });
      writer.batch(ch);
      return bytes;
    }
    let bytes: Buffer | undefined;
    const ack = r.delivery?.channel === ch ? r.delivery.tag : undefined;
    if (r.address) {
      bytes = writer.publish(ch, '', r.address, r.bytes, { contentType, correlationId: r.mapper }, ack);
      if (ack !== undefined && writer.ackSent) this.s.ackedWithReply(ack);
    }
    if (!r.address || r.named) bytes = writer.publish(ch, this.s.names.reply, r.mapper, bytes ?? r.bytes, { contentType, correlationId: r.mapper, mandatory: true });
    return bytes ?? toBytes(r.bytes);
  }
}

function toBytes(b: Buffer | string): Buffer {
  return typeof b === 'string' ? Buffer.from(b) : b;
}
