/**
 * How a mapper link publishes to agents: requests and pushes with `mandatory` (a gone agent's
 * messages come straight back) and their deadline as `expiration`, by queue name through the default
 * exchange when the agent named its queue and the connection may (amqp.wire.ts, HEADER_QUEUE_NAME),
 * else through `P.agent`; persistent requests and parked requests with a publisher confirm on a
 * separate confirm channel.
 */
import type { Channel, ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from '../../internal/logger';
import type { RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import type { InFlightEntry } from '../shared/in-flight';
import type { PushTagger } from '../shared/push-tagger';
import type { AmqpConnection } from './amqp.connection';
import { declareParkQueue, DIRECT_REPLY_TO, type AmqpNames } from './amqp.topology';
import type { LinkPublish, LinkWriter } from './write-batcher';
import { expirationFor, HEADER_RESENT, HEADER_TAG, TYPE_AT_MOST_ONCE } from './amqp.wire';

/** What {@link MapperPublisher} needs from its link. */
export interface MapperPublisherSettings {
  id: string;
  /** The link's session: `correlationId` of every request (an agent tells re-sends from copies by it). */
  session: string;
  connection: AmqpConnection;
  names: AmqpNames;
  serializer: Serializer;
  logger: Logger;
  tagger: PushTagger;
  /** The request queue of `agent` to publish to by name through the default exchange, or undefined: through `P.agent`. */
  queueOf(agent: string): string | undefined;
  /** The link's writer (write-batcher.ts). */
  writer(): LinkWriter;
  /** A request whose caller has given up before it could be published: forget it. */
  expired(agent: string, id: number): void;
  /** A persistent request the broker did not confirm: treat it as undeliverable. */
  unconfirmed(packet: RequestPacket, agent: string): void;
  /** A message the broker returned on the confirm channel. */
  returned(m: Message): void;
}

/** Publishes a mapper link's requests, pushes and parked requests. */
export class MapperPublisher {
  private confirm: Promise<ConfirmChannel> | undefined;
  /** Closed: no confirm channel is opened any more (a park or persistent request still under way fails instead). */
  private closed = false;
  /** Park queues declared (or being declared) on the current connection: one declare per route, however many parks race. */
  private readonly parkDeclared = new Map<string, Promise<unknown>>();

  constructor(private readonly s: MapperPublisherSettings) {}

  /** Publishes a tracked request (`resent`: after a reconnect, so the agent may have it already). */
  request(ch: Channel, agent: string, e: InFlightEntry, resent: boolean): void {
    const expiration = expirationFor(e.expiresAt, Date.now());
    if (expiration === null) {
      // Its caller has given up already (held through an outage): sending it would only make work.
      this.s.expired(agent, e.packet.id);
      return;
    }
    const encoded = this.s.serializer.encodeText?.(e.packet) ?? this.s.serializer.encode(e.packet);
    const p: LinkPublish = { contentType: this.s.serializer.contentType, correlationId: this.s.session, replyTo: DIRECT_REPLY_TO, expiration, type: e.atMostOnce ? TYPE_AT_MOST_ONCE : undefined, mandatory: true };
    const queue = this.s.queueOf(agent);
    const exchange = queue === undefined ? this.s.names.agent : '';
    const key = queue ?? agent;
    if (!e.persistent && !resent) {
      this.s.writer().publish(ch, exchange, key, encoded, p);
      return;
    }
    const bytes = typeof encoded === 'string' ? Buffer.from(encoded) : encoded;
    const props: Options.Publish = { contentType: p.contentType, correlationId: p.correlationId, mandatory: true };
    if (expiration !== undefined) props.expiration = expiration;
    if (p.type !== undefined) props.type = p.type;
    if (resent) props.headers = { [HEADER_RESENT]: true };
    if (e.persistent) {
      // Confirmed and durable; answered through the named queue (direct reply-to only works on the publishing channel).
      props.persistent = true;
      void this.confirmed(exchange, key, bytes, props).catch((err: unknown) => {
        this.s.logger.warn({ mapper: this.s.id, agent, err: (err as Error).message }, 'persistent request not confirmed');
        this.s.unconfirmed(e.packet, agent);
      });
      return;
    }
    props.replyTo = DIRECT_REPLY_TO;
    ch.publish(exchange, key, bytes, props);
    this.s.writer().batch(ch);
  }

  /** Publishes a push, tagged so that a draining agent's hand-back can be checked. */
  push(ch: Channel, agent: string, packet: RequestPacket, persistent: boolean, expiresAt: number): void {
    const expiration = expirationFor(expiresAt, Date.now());
    if (expiration === null) return; // expired while buffered
    const bytes = this.s.serializer.encode(packet);
    const props: Options.Publish = { contentType: this.s.serializer.contentType, correlationId: this.s.session, mandatory: true, persistent, headers: { [HEADER_TAG]: this.s.tagger.tag(agent, bytes) } };
    if (expiration !== undefined) props.expiration = expiration;
    const queue = this.s.queueOf(agent);
    if (queue === undefined) ch.publish(this.s.names.agent, agent, bytes, props);
    else ch.publish('', queue, bytes, props);
    this.s.writer().batch(ch);
  }

  /** Parks a request in the durable queue of its route, for at most `ttl` ms, with a publisher confirm. */
  park(packet: RequestPacket, ttl: number): void {
    const bytes = this.s.serializer.encode(packet);
    void (async () => {
      const model = this.s.connection.current;
      if (!model) throw new Error('not connected');
      let declared = this.parkDeclared.get(packet.route);
      if (!declared) {
        declared = this.confirmChannel(model).then((ch) => declareParkQueue(ch, this.s.names, packet.route));
        this.parkDeclared.set(packet.route, declared);
        // A failed declare is tried again by the next park.
        declared.catch(() => this.parkDeclared.get(packet.route) === declared && this.parkDeclared.delete(packet.route));
      }
      await declared;
      await this.confirmed(this.s.names.park, packet.route, bytes, {
        contentType: this.s.serializer.contentType,
        correlationId: this.s.session,
        persistent: true,
        expiration: String(Math.max(1, Math.floor(ttl))),
      });
    })().catch((err: unknown) => {
      // The caller's own deadline fails the request; say why in the log.
      this.s.logger.warn({ mapper: this.s.id, route: packet.route, err: (err as Error).message }, 'could not park the request');
    });
  }

  /** The connection is gone: the confirm channel went with it. */
  reset(): void {
    this.confirm = undefined;
    this.parkDeclared.clear();
  }

  /** Closes the confirm channel, if one was opened. */
  async close(): Promise<void> {
    this.closed = true;
    const confirm = this.confirm;
    this.reset();
    if (confirm) await (await confirm).close();
  }

  private confirmChannel(model: ChannelModel): Promise<ConfirmChannel> {
    if (this.closed) return Promise.reject(new Error('the mapper link is closed'));
    if (!this.confirm) {
      const p = model.createConfirmChannel().then((ch) => {
        ch.on('error', (err: Error) => this.s.logger.warn({ mapper: this.s.id, err: err.message }, 'confirm channel error'));
        ch.on('return', (m: Message) => this.s.returned(m));
        ch.on('close', () => {
          if (this.confirm === p) this.confirm = undefined;
        });
        return ch;
      });
      this.confirm = p;
      p.catch(() => {
        if (this.confirm === p) this.confirm = undefined;
      });
    }
    return this.confirm;
  }

  private async confirmed(exchange: string, key: string, bytes: Buffer, props: Options.Publish): Promise<void> {
    const model = this.s.connection.current;
    if (!model) throw new Error('not connected');
    const ch = await this.confirmChannel(model);
    await new Promise<void>((resolve, reject) => {
      ch.publish(exchange, key, bytes, props, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('nacked by the broker')) : resolve()));
    });
  }
}
