/**
 * A mapper's side of amqp://: hears every heartbeat on its exclusive queue, receives results on
 * direct reply-to, sends requests with `mandatory` (a gone agent's requests come straight back),
 * probes agents holding its requests, parks offline-failsafe requests in durable queues and, after
 * an outage, re-sends what it cannot know the fate of once each agent is back.
 */
import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import type { AdvertisePacket, AgentBoundPacket, RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import type { MapperLink, MapperSink, SendOptions } from '../transport';
import { AgentProber } from './agent-prober';
import type { AmqpConnection, ConnectionObserver } from './amqp.connection';
import { attachFailed, REATTACH_DELAY } from './attach-failure';
import { declareExchanges, declareParkQueue, DIRECT_REPLY_TO, type AmqpNames } from './amqp.topology';
import { decodePacket } from '../../protocol/decode';
import { expirationFor, expiresAtFor, HEADER_BOUNCED, HEADER_RESENT, HEADER_TAG, peekMapperBound, peekRequest, PushTagger, TYPE_AT_MOST_ONCE } from './amqp.wire';
import { InFlight, type InFlightEntry } from './in-flight';
import { PublishBuffer } from './publish-buffer';
import { writeBatcher } from './write-batcher';

/** What a mapper link needs from its transport. */
export interface AmqpMapperLinkSettings {
  connection: AmqpConnection;
  names: AmqpNames;
  serializer: Serializer;
  logger: Logger;
  bufferSize: number;
  probeInterval: number;
  rejoinTimeout: number;
  batchWrites: boolean;
  onClosed(link: AmqpMapperLink): void;
}


/** The mapper link of the amqp:// transport. */
export class AmqpMapperLink implements MapperLink, ConnectionObserver {
  private ch: Channel | undefined;
  private confirm: Promise<ConfirmChannel> | undefined;
  private parkDeclared = new Set<string>();
  private generation = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private announce = false;
  private resolveFirst: (() => void) | undefined;
  private rejectFirst: ((err: NaniteError) => void) | undefined;
  private retry: NodeJS.Timeout | undefined;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private unobserve: (() => void) | undefined;
  /** Agents that held requests when the connection dropped and have not been heard from since. */
  private readonly awaiting = new Set<string>();
  private readonly inFlight = new InFlight();
  private readonly pushes: PublishBuffer<{ agent: string; packet: RequestPacket; persistent: boolean; expiresAt: number }>;
  /** Bounds the requests held for agents while disconnected (they live in `inFlight`). */
  private readonly held: PublishBuffer<never>;
  private readonly prober: AgentProber;
  private readonly session = randomBytes(8).toString('hex');
  private readonly tagger = new PushTagger();
  private rejected = 0;
  private readonly queue: string;
  private batch: () => void = noop;

  constructor(
    readonly id: string,
    private readonly sink: MapperSink,
    private readonly s: AmqpMapperLinkSettings,
  ) {
    this.queue = s.names.mapperQueue(id);
    this.pushes = new PublishBuffer(s.bufferSize, 'push');
    this.held = new PublishBuffer(s.bufferSize, 'request');
    this.prober = new AgentProber({
      interval: s.probeInterval,
      exchange: s.names.agent,
      candidates: () => {
        this.inFlight.expire(Date.now());
        return this.inFlight.agentsWithSent().filter((a) => !this.awaiting.has(a));
      },
      gone: (agent) => {
        if (this.inFlight.has(agent)) this.gone(agent);
      },
    });
  }

  /** Counters of what this link refused from the wire. */
  get stats(): { rejectedBounces: number } {
    return { rejectedBounces: this.rejected };
  }

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    const wasUp = this.s.connection.isUp;
    this.announce = !wasUp;
    this.unobserve = this.s.connection.observe(this);
    return wasUp ? first : Promise.resolve();
  }

  up(model: ChannelModel, reconnected: boolean): void {
    void this.attach(model, reconnected);
  }

  down(): void {
    this.detach();
    for (const agent of this.inFlight.agents()) this.awaiting.add(agent);
    this.resolveFirst?.();
    this.resolveFirst = this.rejectFirst = undefined;
  }

  private detach(): void {
    this.ch = undefined;
    this.batch = noop;
    this.confirm = undefined;
    this.parkDeclared.clear();
    this.prober.stop();
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.rejoinTimer = undefined;
  }

  private async attach(model: ChannelModel, reconnected: boolean): Promise<void> {
    const gen = ++this.generation;
    let ch: Channel | undefined;
    try {
      ch = await model.createChannel();
      const channel = ch;
      channel.on('error', (err: Error) => this.s.logger.warn({ mapper: this.id, err: err.message }, 'mapper channel error'));
      channel.on('close', () => this.channelClosed(channel, model));
      channel.on('return', (m: Message) => this.onReturn(m));
      const n = this.s.names;
      await declareExchanges(channel, n);
      await channel.assertQueue(this.queue, { exclusive: true });
      await channel.bindQueue(this.queue, n.heartbeat, '');
      await channel.bindQueue(this.queue, n.reply, this.id);
      // Direct reply-to must be consumed (no-ack) on the channel that publishes the requests.
      await channel.consume(DIRECT_REPLY_TO, (m) => this.onMessage(m), { noAck: true });
      await channel.consume(this.queue, (m) => this.onMessage(m), { noAck: true });
      if (gen !== this.generation || this.closed) {
        // Closed meanwhile: the queue (exclusive to the still-open connection) would keep collecting every heartbeat.
        if (this.closed) await channel.deleteQueue(this.queue);
        await channel.close();
        return;
      }
      this.ch = channel;
      this.batch = writeBatcher(model, this.s.batchWrites);
      this.prober.start(channel);
      for (const p of this.pushes.drain()) this.publishPush(channel, p.agent, p.packet, p.persistent, p.expiresAt);
      if (this.awaiting.size > 0) this.startRejoinTimer();
      this.resolveFirst?.();
      this.resolveFirst = this.rejectFirst = undefined;
      if (reconnected || this.announce) this.sink.onReconnect?.();
      this.announce = false;
    } catch (err) {
      const rejected = await attachFailed(err, {
        role: 'mapper',
        bindings: { mapper: this.id },
        channel: ch,
        logger: this.s.logger,
        rejectFirst: this.rejectFirst,
        retry: (delay) => this.scheduleReattach(model, gen, delay),
      });
      if (rejected) this.resolveFirst = this.rejectFirst = undefined;
    }
  }

  private scheduleReattach(model: ChannelModel, gen: number, delay = REATTACH_DELAY): void {
    if (this.closed || gen !== this.generation || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closed && this.s.connection.current === model) void this.attach(model, true);
    }, delay);
    // The connection's socket holds the process while it is up; this retry need not.
    this.retry.unref();
  }

  private channelClosed(ch: Channel, model: ChannelModel): void {
    if (this.ch !== ch) return;
    // Results addressed to the old channel's direct reply-to are lost: treat it like an outage.
    this.down();
    if (!this.closed && this.s.connection.current === model) this.scheduleReattach(model, this.generation);
  }

  /** Agents that have not come back within `rejoinTimeout` of the reconnect are reported gone. */
  private startRejoinTimer(): void {
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      for (const agent of [...this.awaiting]) this.gone(agent);
    }, this.s.rejoinTimeout);
    this.rejoinTimer.unref();
  }

  private gone(agent: string): void {
    this.awaiting.delete(agent);
    // Requests held for it never left this process: safe to move whatever the route.
    for (const e of this.inFlight.take(agent)) if (!e.sent) this.sink.onUndeliverable(e.packet, agent);
    this.sink.onAgentGone?.(agent);
  }

  /** The agent is heard from again after an outage: send what it was holding or what waited for it. */
  private rejoined(agent: string): void {
    const ch = this.ch;
    if (!ch) return; // not attached yet: the Register answering our re-advertise will come
    this.awaiting.delete(agent);
    for (const e of this.inFlight.take(agent)) this.publishRequest(ch, agent, this.inFlight.add(agent, e.packet, e, true), e.sent);
  }

  private onMessage(m: ConsumeMessage | null): void {
    if (!m) return; // consumer cancelled by the broker: the channel close that follows re-attaches
    let packet: unknown;
    try {
      packet = this.s.serializer.decode(m.content);
    } catch (err) {
      this.sink.onMalformed(`undecodable message: ${(err as Error).message}`);
      return;
    }
    const bounced: unknown = m.properties.headers?.[HEADER_BOUNCED];
    if (bounced !== undefined) {
      this.bounced(packet, bounced, m);
      return;
    }
    const peek = peekMapperBound(packet);
    // Validated before it touches the in-flight table (the mapper validates again, and counts what fails).
    if (peek.kind !== 'other' && decodePacket(packet).ok) {
      if (peek.kind === 'result') this.inFlight.remove(peek.from, peek.id);
      else if (this.awaiting.has(peek.identity)) this.rejoined(peek.identity);
    }
    try {
      this.sink.onPacket(packet);
    } catch (err) {
      // A throwing sink must not kill the channel (amqplib would close it).
      this.s.logger.error({ mapper: this.id, err: (err as Error).message }, 'mapper sink threw');
    }
  }

  private onReturn(m: Message): void {
    if (m.fields.exchange !== this.s.names.agent) return;
    if (this.prober.returned(m.fields.routingKey, m.properties.type)) return;
    let packet: unknown;
    try {
      packet = this.s.serializer.decode(m.content);
    } catch {
      return; // we encoded it ourselves; cannot happen short of a serializer bug
    }
    this.undeliverable(packet, m.fields.routingKey);
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
    if (req && typeof agent === 'string' && req.replyTo === this.id) {
      if (req.type === 'request') {
        const e = this.inFlight.get(agent, req.id);
        if (e?.sent) {
          this.inFlight.remove(agent, req.id);
          this.sink.onUndeliverable(e.packet, agent);
          return;
        }
      } else if (this.tagger.verify(agent, m.content, m.properties.headers?.[HEADER_TAG]) && decodePacket(packet).ok) {
        this.sink.onUndeliverable(packet as RequestPacket, agent);
        return;
      }
    }
    this.rejected++;
    this.sink.onMalformed('a bounced request or push this mapper did not send to that agent (forged or stale): ignored');
  }

  /** A request or push the broker returned (mandatory): trusted, it is one this link published. */
  private undeliverable(packet: unknown, agent: string): void {
    const req = peekRequest(packet);
    if (!req) return;
    if (req.type === 'request') {
      const e = this.inFlight.get(agent, req.id);
      this.inFlight.remove(agent, req.id);
      if (e) {
        this.sink.onUndeliverable(e.packet, agent);
        return;
      }
    }
    this.sink.onUndeliverable(packet as RequestPacket, agent);
  }

  send(agent: string, packet: AgentBoundPacket, options: SendOptions = {}): void {
    const ch = this.ch;
    const persistent = options.persistent ?? false;
    // Requests and pushes carry their deadline to the broker, which drops them once it passed (nobody waits for them any more).
    const expiresAt = expiresAtFor(options.ttl, Date.now());
    if (packet.type === 'request') {
      const how = { persistent, atMostOnce: options.delivery === 'at-most-once', expiresAt };
      if (!ch || this.awaiting.has(agent)) {
        // Held until the agent is heard from after the reconnect (or reported gone).
        this.held.assertRoom(this.inFlight.heldCount);
        if (!ch) this.awaiting.add(agent);
        this.inFlight.add(agent, packet, how, false);
        return;
      }
      this.publishRequest(ch, agent, this.inFlight.add(agent, packet, how, true), false);
      return;
    }
    if (packet.type === 'push') {
      if (ch) this.publishPush(ch, agent, packet, persistent, expiresAt);
      else this.pushes.push({ agent, packet, persistent, expiresAt });
      return;
    }
    // Cancels and unicast advertises are worthless after an outage: the agent's own deadline and the reconnect's advertise replace them.
    ch?.publish(this.s.names.agent, agent, this.s.serializer.encode(packet), { contentType: this.s.serializer.contentType });
    this.batch();
  }

  private publishRequest(ch: Channel, agent: string, e: InFlightEntry, resent: boolean): void {
    const expiration = expirationFor(e.expiresAt, Date.now());
    if (expiration === null) {
      // Its caller has given up already (held through an outage): sending it would only make work.
      this.inFlight.remove(agent, e.packet.id);
      return;
    }
    const props: Options.Publish = { contentType: this.s.serializer.contentType, correlationId: this.session, mandatory: true };
    if (expiration !== undefined) props.expiration = expiration;
    if (e.atMostOnce) props.type = TYPE_AT_MOST_ONCE;
    if (resent) props.headers = { [HEADER_RESENT]: true };
    const bytes = this.s.serializer.encode(e.packet);
    if (e.persistent) {
      // Confirmed and durable; answered through the named queue (direct reply-to only works on the publishing channel).
      props.persistent = true;
      void this.confirmed(this.s.names.agent, agent, bytes, props).catch((err: unknown) => {
        this.s.logger.warn({ mapper: this.id, agent, err: (err as Error).message }, 'persistent request not confirmed');
        this.undeliverable(e.packet, agent);
      });
      return;
    }
    props.replyTo = DIRECT_REPLY_TO;
    ch.publish(this.s.names.agent, agent, bytes, props);
    this.batch();
  }

  private publishPush(ch: Channel, agent: string, packet: RequestPacket, persistent: boolean, expiresAt: number): void {
    const expiration = expirationFor(expiresAt, Date.now());
    if (expiration === null) return; // expired while buffered
    const bytes = this.s.serializer.encode(packet);
    const props: Options.Publish = { contentType: this.s.serializer.contentType, correlationId: this.session, mandatory: true, persistent, headers: { [HEADER_TAG]: this.tagger.tag(agent, bytes) } };
    if (expiration !== undefined) props.expiration = expiration;
    ch.publish(this.s.names.agent, agent, bytes, props);
    this.batch();
  }

  broadcast(packet: AdvertisePacket): void {
    // Lost while disconnected: the link re-advertises (onReconnect) as soon as it is back.
    this.ch?.publish(this.s.names.advertise, '', this.s.serializer.encode(packet), { contentType: this.s.serializer.contentType });
    this.batch();
  }

  /** Parks a request in the durable queue of its route, for at most `ttl` ms, with a publisher confirm. */
  park(packet: RequestPacket, ttl: number): void {
    const bytes = this.s.serializer.encode(packet);
    void (async () => {
      const model = this.s.connection.current;
      if (!model) throw new Error('not connected');
      if (!this.parkDeclared.has(packet.route)) {
        const ch = await this.confirmChannel(model);
        await declareParkQueue(ch, this.s.names, packet.route);
        this.parkDeclared.add(packet.route);
      }
      await this.confirmed(this.s.names.park, packet.route, bytes, {
        contentType: this.s.serializer.contentType,
        correlationId: this.session,
        persistent: true,
        expiration: String(Math.max(1, Math.floor(ttl))),
      });
    })().catch((err: unknown) => {
      // The caller's own deadline fails the request; say why in the log.
      this.s.logger.warn({ mapper: this.id, route: packet.route, err: (err as Error).message }, 'could not park the request');
    });
  }

  private confirmChannel(model: ChannelModel): Promise<ConfirmChannel> {
    if (!this.confirm) {
      const p = model.createConfirmChannel().then((ch) => {
        ch.on('error', (err: Error) => this.s.logger.warn({ mapper: this.id, err: err.message }, 'confirm channel error'));
        ch.on('return', (m: Message) => this.onReturn(m));
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

  /** Closes the channels and forgets every in-flight request. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.unobserve?.();
    this.resolveFirst?.();
    const ch = this.ch;
    const confirm = this.confirm;
    this.detach();
    this.inFlight.clear();
    this.awaiting.clear();
    this.pushes.clear();
    try {
      if (confirm) await (await confirm).close();
      if (ch) {
        // On a shared connection the exclusive queue outlives the link and would collect every heartbeat.
        await ch.deleteQueue(this.queue);
        await ch.close();
      }
    } catch (err) {
      this.s.logger.debug({ mapper: this.id, err: (err as Error).message }, 'mapper link closed with the connection already gone');
    }
    this.s.onClosed(this);
  }
}

function noop(): void {}
