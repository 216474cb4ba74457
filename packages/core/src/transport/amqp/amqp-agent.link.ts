/**
 * An agent's side of amqp://: consumes its exclusive request queue (and the park queues of its
 * routes), publishes heartbeats and replies, drains in order and re-attaches after an outage.
 */
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { NaniteError } from '../../errors';
import { decodePacket } from '../../protocol/decode';
import type { Logger } from '../../internal/logger';
import type { ProgressPacket, ResultPacket, HeartbeatPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import type { AgentLink, AgentLinkOptions, AgentSink, Settle } from '../transport';
import type { AmqpConnection, ConnectionObserver } from './amqp.connection';
import { attachFailed, REATTACH_DELAY } from './attach-failure';
import type { AmqpDelivery } from './amqp.options';
import { declareExchanges, declareParkQueue, type AmqpNames } from './amqp.topology';
import { HEADER_BOUNCED, HEADER_RESENT, peekRequest, TYPE_AT_MOST_ONCE } from './amqp.wire';
import { PublishBuffer } from './publish-buffer';
import { AckBatcher } from './ack-batcher';
import { PROBE_TYPE, probeKey } from './agent-prober';
import { ReplyCache } from './reply-cache';
import { writeBatcher } from './write-batcher';
import { BurstLog } from '../shared/burst-log';

/** What an agent link needs from its transport. */
export interface AmqpAgentLinkSettings {
  connection: AmqpConnection;
  names: AmqpNames;
  serializer: Serializer;
  logger: Logger;
  bufferSize: number;
  delivery: AmqpDelivery;
  routeDelivery: Readonly<Record<string, AmqpDelivery>>;
  dedupWindow: number;
  batchWrites: boolean;
  /** Called once the link is closed. */
  onClosed(link: AmqpAgentLink): void;
}

interface PendingReply {
  mapper: string;
  /** Direct reply-to address of the request's first copy, if it had one. */
  address: string | undefined;
  /** Also (or, without an address, only) through the mapper's named queue. */
  named: boolean;
  bytes: Buffer;
}

const noop: Settle = () => undefined;
/** Delay before re-attaching after a channel failure on a live connection. */

/** The agent link of the amqp:// transport. */
export class AmqpAgentLink implements AgentLink, ConnectionObserver {
  private ch: Channel | undefined;
  private generation = 0;
  private paused = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private consumers: string[] = [];
  /** Routes whose park queue is consumed on the current channel. */
  private readonly parkConsumed = new Set<string>();
  /** Routes whose parked requests this agent takes (given at open, or added later). */
  private readonly routes: Set<string>;
  private firstAttach: Promise<void> | undefined;
  /** Opened while the broker was down: announce (re-register) on the first attach. */
  private announce = false;
  private resolveFirst: (() => void) | undefined;
  private rejectFirst: ((err: NaniteError) => void) | undefined;
  private retry: NodeJS.Timeout | undefined;
  private unobserve: (() => void) | undefined;
  private readonly queue: string;
  private readonly replies: PublishBuffer<PendingReply>;
  private readonly cache: ReplyCache;
  /** Deliveries acknowledged on receipt (at-most-once) whose handler has not settled yet. */
  private early = 0;
  private rejectedCopies = 0;
  private readonly droppedReplies: BurstLog;
  private batch: () => void = noop;
  private acks: AckBatcher | undefined;

  constructor(
    readonly identity: string,
    private readonly sink: AgentSink,
    private readonly options: AgentLinkOptions,
    private readonly s: AmqpAgentLinkSettings,
  ) {
    this.queue = s.names.agentQueue(identity);
    this.replies = new PublishBuffer(s.bufferSize, 'reply');
    this.cache = new ReplyCache(s.dedupWindow);
    this.routes = new Set(options.routes ?? []);
    this.droppedReplies = new BurstLog(s.logger, 'reply buffer full: dropped the oldest replies (their mappers ask again after reconnecting)', { agent: identity });
  }

  /** What the link holds now that arrived from the wire. */
  get stats(): { replyCacheEntries: number; earlyAcked: number; rejectedCopies: number } {
    return { replyCacheEntries: this.cache.size, earlyAcked: this.early, rejectedCopies: this.rejectedCopies };
  }

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    this.firstAttach = new Promise((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    const wasUp = this.s.connection.isUp;
    this.announce = !wasUp;
    this.unobserve = this.s.connection.observe(this);
    return wasUp ? this.firstAttach : Promise.resolve();
  }

  up(model: ChannelModel, reconnected: boolean): void {
    this.cache.connection(false);
    void this.attach(model, reconnected);
  }

  down(): void {
    this.ch = undefined;
    this.batch = noop;
    this.acks = undefined;
    this.consumers = [];
    this.parkConsumed.clear();
    this.cache.connection(true);
    this.resolveFirst?.();
    this.resolveFirst = this.rejectFirst = undefined;
  }

  private async attach(model: ChannelModel, reconnected: boolean): Promise<void> {
    const gen = ++this.generation;
    // close() or a newer attach overtook this one: whatever it opened must go (a channel left open
    // keeps the queue and its binding alive, and requests to this stopped agent would vanish into it).
    const stale = (): boolean => gen !== this.generation || this.closed;
    let ch: Channel | undefined;
    try {
      ch = await model.createChannel();
      if (stale()) {
        await ch.close();
        return;
      }
      const channel = ch;
      channel.on('error', (err: Error) => this.s.logger.warn({ agent: this.identity, err: err.message }, 'agent channel error'));
      channel.on('close', () => this.channelClosed(channel, model));
      channel.on('return', (m: Message) => this.onReturn(m));
      const n = this.s.names;
      await declareExchanges(channel, n);
      await channel.assertQueue(this.queue, { exclusive: true });
      await channel.bindQueue(this.queue, n.advertise, '');
      // Kept while draining: mappers' liveness probes come back only once the queue is gone.
      await channel.bindQueue(this.queue, n.agent, probeKey(this.identity));
      if (!this.paused) await channel.bindQueue(this.queue, n.agent, this.identity);
      if (stale()) {
        // Closed meanwhile: the queue (exclusive to the still-open connection) must go too, or its
        // probe binding would tell mappers this stopped agent is still there.
        if (this.closed) await channel.deleteQueue(this.queue);
        await channel.close();
        return;
      }
      this.ch = channel;
      this.consumers = [];
      this.parkConsumed.clear();
      this.batch = writeBatcher(model, this.s.batchWrites);
      // Every delivery is acknowledged manually (at-most-once too), so prefetch always bounds what the agent holds.
      this.acks = new AckBatcher(channel, this.batch);
      this.resolveFirst?.();
      this.resolveFirst = this.rejectFirst = undefined;
      // Let the owner store the link (it resolves open()) before the first request arrives.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // From here on the channel is `this.ch`: close() closes it.
      if (stale()) return;
      if (!this.paused) await this.startConsuming(channel);
      for (const r of this.replies.drain()) this.publishReply(channel, r);
      if ((reconnected || this.announce) && !this.paused) this.sink.onReconnect?.();
      this.announce = false;
    } catch (err) {
      const rejected = await attachFailed(err, {
        role: 'agent',
        bindings: { agent: this.identity },
        channel: ch,
        logger: this.s.logger,
        rejectFirst: this.rejectFirst,
        retry: (delay) => this.scheduleReattach(model, gen, delay),
      });
      if (rejected) this.resolveFirst = this.rejectFirst = undefined;
    }
  }

  private async startConsuming(ch: Channel): Promise<void> {
    // Per consumer: the agent's queue and each park queue get a window of `prefetch` each.
    await ch.prefetch(this.options.prefetch);
    const main = await ch.consume(this.queue, (m) => this.onMessage(ch, m), { noAck: false });
    if (!(await this.keepConsumer(ch, main.consumerTag))) return;
    for (const route of this.routes) await this.consumePark(ch, route);
  }

  /** Consumes the park queue of `route` on `ch` (once per channel). */
  private async consumePark(ch: Channel, route: string): Promise<void> {
    if (this.parkConsumed.has(route)) return;
    this.parkConsumed.add(route);
    const q = await declareParkQueue(ch, this.s.names, route);
    // Parked requests are always acknowledged after their handler: an agent dying mid-handler gives them back to the durable queue.
    const c = await ch.consume(q, (m) => this.onMessage(ch, m, true), { noAck: false });
    await this.keepConsumer(ch, c.consumerTag);
  }

  /** Records a new consumer; cancels it instead when the link paused (or moved on) while it was being set up. */
  private async keepConsumer(ch: Channel, tag: string): Promise<boolean> {
    if (!this.paused && this.ch === ch) {
      this.consumers.push(tag);
      return true;
    }
    await ch.cancel(tag);
    return false;
  }

  /**
   * Also consumes the parked (offline-failsafe) requests of `routes`, for actors added after the
   * agent started. Routes are remembered for every later re-attach.
   */
  async addRoutes(routes: readonly string[]): Promise<void> {
    for (const route of routes) this.routes.add(route);
    const ch = this.ch;
    // Not consuming now (not attached yet, paused, or still starting to): the next start consumes them all.
    if (!ch || this.paused || this.closed || this.consumers.length === 0) return;
    for (const route of routes) await this.consumePark(ch, route);
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
    this.ch = undefined;
    this.acks = undefined;
    this.consumers = [];
    this.parkConsumed.clear();
    // The connection is alive (else `down` handles it): the channel alone failed, so open another.
    if (!this.closed && this.s.connection.current === model) this.scheduleReattach(model, this.generation);
  }

  private onMessage(ch: Channel, m: ConsumeMessage | null, parked = false): void {
    if (!m) {
      // The broker cancelled our consumer (queue deleted under us): start over.
      const model = this.s.connection.current;
      if (model && !this.closed) this.scheduleReattach(model, this.generation);
      return;
    }
    if (m.properties.type === PROBE_TYPE) {
      this.ack(ch, m);
      return;
    }
    let packet: unknown;
    try {
      packet = this.s.serializer.decode(m.content);
    } catch (err) {
      this.ack(ch, m);
      this.sink.onMalformed(`undecodable message: ${(err as Error).message}`);
      return;
    }
    const req = peekRequest(packet);
    if (req) {
      // Validated before anything is remembered about it: an invalid request would never be answered, so never leave the cache.
      const valid = decodePacket(packet);
      if (!valid.ok) {
        this.ack(ch, m);
        this.sink.onMalformed(valid.reason);
        return;
      }
    }
    if (req && req.type === 'request') {
      const session = typeof m.properties.correlationId === 'string' ? m.properties.correlationId : '';
      const address = typeof m.properties.replyTo === 'string' && m.properties.replyTo !== '' ? m.properties.replyTo : undefined;
      const resent = m.fields.redelivered || m.properties.headers?.[HEADER_RESENT] !== undefined;
      const running = this.cache.running(req.replyTo, req.id);
      if (running) {
        this.ack(ch, m);
        // The reply address stays the one of the first copy, whatever a later copy says: a re-send
        // by the same mapper link (after it reconnected, so its old address may be dead) only adds
        // the mapper's own named queue, which the packet's `replyTo` names and nobody else reads.
        if (resent && running.session === session) running.resent = true;
        else {
          this.rejectedCopies++;
          this.sink.onMalformed('another copy of a request that is running (not a re-send by its mapper): ignored');
        }
        return;
      }
      if (resent) {
        const done = this.cache.finished(req.replyTo, req.id, session);
        if (done) {
          // Answered through the named queue only, for the same reason.
          this.ack(ch, m);
          this.sendReply({ mapper: req.replyTo, address: undefined, named: true, bytes: done });
          return;
        }
      }
      this.cache.begin(req.replyTo, req.id, session, address);
    }
    const atMostOnce = !parked && (this.s.delivery === 'at-most-once' || m.properties.type === TYPE_AT_MOST_ONCE || (req !== undefined && this.s.routeDelivery[req.route] === 'at-most-once'));
    // Acknowledged on receipt only while fewer than `prefetch` such deliveries are unsettled: past
    // that the ack waits for the handler, so the broker's prefetch still bounds what the agent
    // holds whatever a peer marks at-most-once (at most 2 × prefetch in memory).
    const early = atMostOnce && this.early < this.options.prefetch;
    if (early) {
      this.early++;
      this.ack(ch, m);
    }
    let settled = false;
    const settle: Settle = () => {
      if (settled) return;
      settled = true;
      if (early) this.early--;
      else this.ack(ch, m);
      // Settled without a result (a push, or the agent dropped it): nothing will finish its cache entry.
      if (req?.type === 'request') this.cache.end(req.replyTo, req.id);
    };
    try {
      this.sink.onPacket(packet, settle);
    } catch (err) {
      // A throwing sink must not kill the channel (amqplib would close it); the agent's own handlers never throw here.
      this.s.logger.error({ agent: this.identity, err: (err as Error).message }, 'agent sink threw');
    }
  }

  private ack(ch: Channel, m: Message): void {
    if (this.acks && ch === this.ch) {
      this.acks.ack(m);
      return;
    }
    safeAck(ch, m);
    this.batch();
  }

  broadcast(packet: HeartbeatPacket): void {
    // A heartbeat lost while disconnected is replaced by the Register sent on reconnect.
    this.ch?.publish(this.s.names.heartbeat, '', this.s.serializer.encode(packet), { contentType: this.s.serializer.contentType });
    this.batch();
  }

  reply(mapper: string, packet: ResultPacket | ProgressPacket): void {
    const running = this.cache.running(mapper, packet.id);
    const bytes = this.s.serializer.encode(packet);
    if (packet.type === 'result') this.cache.finish(mapper, packet.id, bytes);
    this.sendReply({ mapper, address: running?.address, named: running?.resent === true, bytes });
  }

  private sendReply(r: PendingReply): void {
    const ch = this.ch;
    if (ch) this.publishReply(ch, r);
    else if (!this.replies.pushDroppingOldest(r)) this.droppedReplies.record();
  }

  private publishReply(ch: Channel, r: PendingReply): void {
    const contentType = this.s.serializer.contentType;
    // No `mandatory` on direct reply-to (measured: it costs the broker ~30% of its RPC throughput).
    // A reply to a stale address (the mapper reconnected) is then dropped, and that is covered:
    // the reconnected mapper re-sends the request and gets the result from the reply cache.
    if (r.address) ch.publish('', r.address, r.bytes, { contentType, correlationId: r.mapper });
    if (!r.address || r.named) ch.publish(this.s.names.reply, r.mapper, r.bytes, { contentType, correlationId: r.mapper, mandatory: true });
    this.batch();
  }

  private onReturn(m: Message): void {
    this.s.logger.debug({ agent: this.identity, mapper: m.properties.correlationId }, 'reply returned: its mapper is gone or reconnecting');
  }

  /** Stops taking requests: unbinds (new requests come back to their mapper), cancels consumers, hands back what is queued. */
  async pause(): Promise<void> {
    if (this.paused) return;
    this.paused = true;
    const ch = this.ch;
    if (!ch) return;
    try {
      await ch.unbindQueue(this.queue, this.s.names.agent, this.identity);
      this.parkConsumed.clear();
      for (const tag of this.consumers.splice(0)) await ch.cancel(tag);
      await this.bounceQueued(ch);
    } catch (err) {
      this.s.logger.warn({ agent: this.identity, err: (err as Error).message }, 'pause did not complete (connection lost?)');
    }
  }

  /** Hands requests still queued for this agent back to their mappers (they never ran, so they may go elsewhere). */
  private async bounceQueued(ch: Channel): Promise<void> {
    for (;;) {
      const m = await ch.get(this.queue, { noAck: false });
      if (!m) return;
      let req;
      try {
        req = peekRequest(this.s.serializer.decode(m.content));
      } catch {
        req = undefined;
      }
      if (req) {
        const headers = { ...m.properties.headers, [HEADER_BOUNCED]: this.identity };
        ch.publish(this.s.names.reply, req.replyTo, m.content, { ...publishProps(m), headers });
      }
      ch.ack(m);
    }
  }

  /** Pauses, hands back anything queued, deletes the queue and closes the channel. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.pause();
    this.closed = true;
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.unobserve?.();
    this.resolveFirst?.();
    const ch = this.ch;
    this.ch = undefined;
    if (ch) {
      try {
        await this.bounceQueued(ch);
        await ch.deleteQueue(this.queue);
        await ch.close();
      } catch (err) {
        this.s.logger.debug({ agent: this.identity, err: (err as Error).message }, 'agent link closed with the connection already gone');
      }
    }
    this.replies.clear();
    this.cache.clear();
    this.s.onClosed(this);
  }
}

/** Acks on a channel that may have closed since the delivery (then the broker already requeued or dropped it). */
function safeAck(ch: Channel, m: Message): void {
  try {
    ch.ack(m);
  } catch {
    // The channel is gone: the broker already took the message back; nothing to acknowledge.
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
