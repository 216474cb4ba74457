/**
 * An agent's side of amqp://: consumes its exclusive request queue (and the park queues of its
 * routes), publishes heartbeats and replies, drains in order and re-attaches after an outage.
 *
 * This class wires the parts and owns the channel: attaching (link-attacher.ts), topology
 * (amqp.topology.ts), consumers (agent-consumers.ts), the receive path (agent-inbox.ts), reply
 * routing (agent-replies.ts) and draining (agent-drain.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage, Message } from 'amqplib';
import { BurstLog } from '../../internal/burst-log';
import type { Logger } from '../../internal/logger';
import type { HeartbeatPacket, ReplyPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import { ReplyCache } from '../shared/reply-cache';
import type { AgentLink, AgentLinkOptions, AgentSink } from '../transport';
import { AckBatcher, safeAck } from './ack-batcher';
import { AgentConsumers } from './agent-consumers';
import { deleteDrained, QueueDrain, type QueueDrainSettings } from './agent-drain';
import { AgentInbox } from './agent-inbox';
import { AgentReplies } from './agent-replies';
import { SelfProbe } from './agent-self-probe';
import type { AmqpConnection } from './amqp.connection';
import type { AmqpDelivery } from './amqp.options';
import { declareAgentControlQueue, declareAgentQueue, declareExchanges, type AmqpNames } from './amqp.topology';
import { HEADER_CONTROL, HEADER_QUEUE, HEADER_QUEUE_NAME } from './amqp.wire';
import { LinkAttacher, type AttachableLink } from './link-attacher';
import { AMQPLIB_ONLY, linkWriter, type LinkWriter } from './write-batcher';

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

/** Deliveries of the control queue in flight at once (each is settled as soon as the agent took it). */
const CONTROL_WINDOW = 256;

/** How long after a returned probe of its own queue the agent probes again to confirm it (ms). */
const SELF_PROBE_CONFIRM_DELAY = 1_000;
/** How long the confirming probe may take to come back before it counts as routed (ms). */
const SELF_PROBE_CONFIRM_WAIT = 1_000;

/** The agent link of the amqp:// transport. */
export class AmqpAgentLink implements AgentLink, AttachableLink {
  /** The control queue overtakes the request queue (and request ids are random: internal/ids.ts). */
  readonly cancelsMayOvertake = true;
  private ch: Channel | undefined;
  private paused = false;
  private closing: Promise<void> | undefined;
  /** The pause's drain: hands back what is queued, and passes on what follows running requests (from mappers that do not use the control queue), until close. */
  private draining: QueueDrain | undefined;
  /** The control queue's consumer on the current channel (consumed from attach to close, draining included). */
  private controlTag: string | undefined;
  private writer: LinkWriter = AMQPLIB_ONLY;
  /** Deliveries of the current channel not yet acknowledged (see the writer's `busy`). */
  private unacked = 0;
  private acks: AckBatcher | undefined;
  /** The request queue's name: `P.agent.<identity>`, or a fresh one after the name was locked (see setup). */
  private queue: string;
  /** Id of the queue's current incarnation, on every heartbeat (see HEADER_QUEUE). */
  private incarnation = '';
  /** Times the broker stopped routing to this agent's queue under it (agent-self-probe.ts) and the link re-attached. */
  private unroutedQueues = 0;
  /** Probes of the request queue, and of the control queue (a clean-up can remove either record). */
  private readonly selfProbe = this.newSelfProbe();
  private readonly controlProbe = this.newSelfProbe();
  private readonly cache: ReplyCache;
  private readonly attacher: LinkAttacher;
  private readonly replies: AgentReplies;
  private readonly inbox: AgentInbox;
  private readonly consumers: AgentConsumers;

  constructor(
    readonly identity: string,
    private readonly sink: AgentSink,
    options: AgentLinkOptions,
    private readonly s: AmqpAgentLinkSettings,
  ) {
    this.queue = s.names.agentQueue(identity);
    const overflow = new BurstLog({
      logger: s.logger,
      bindings: { agent: identity },
      message: 'reply cache full through an outage: results not kept (a re-send of their request would run it again; further ones in the next 10 s are only counted)',
    });
    this.cache = new ReplyCache(s.dedupWindow, () => overflow.record());
    this.attacher = new LinkAttacher({ role: 'agent', bindings: { agent: identity }, connection: s.connection, logger: s.logger }, this);
    this.replies = new AgentReplies({ ...s, identity, cache: this.cache, channel: () => this.ch, writer: () => this.writer, ackedWithReply: (tag) => this.ackedWithReply(tag) });
    this.inbox = new AgentInbox({
      ...s,
      identity,
      sink,
      cache: this.cache,
      replies: this.replies,
      ack: (ch, m) => this.ack(ch, m),
      ackControl: (ch, m) => this.settle(ch, m),
      // The broker cancelled our consumer (queue deleted under us): start over.
      cancelled: (ch) => this.consumerCancelled(ch),
    });
    const link = (): string => this.queue;
    this.consumers = new AgentConsumers({
      get queue() {
        return link();
      },
      names: s.names,
      prefetch: options.prefetch,
      routes: options.routes ?? [],
      receive: (ch, m, parked) => this.receive(ch, m, parked),
      wanted: (ch) => ch === this.ch && !this.paused,
    });
  }

  /** What the link holds now that arrived from the wire. */
  get stats(): { replyCacheEntries: number; replyCacheOverflowed: number; rejectedCopies: number; droppedRedeliveries: number; unroutedQueues: number; unconfirmedProbeReturns: number } {
    return { replyCacheEntries: this.cache.size, replyCacheOverflowed: this.cache.overflowed, ...this.inbox.stats, unroutedQueues: this.unroutedQueues, unconfirmedProbeReturns: this.selfProbe.unconfirmed + this.controlProbe.unconfirmed };
  }

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    return this.attacher.open();
  }

  /** @internal AttachableLink */
  connected(): void {
    this.cache.connection(false);
  }

  /** @internal AttachableLink */
  lost(): void {
    this.forgetChannel();
    this.cache.connection(true);
  }

  /** @internal AttachableLink */
  channelClosed(ch: Channel): boolean {
    if (this.ch !== ch) return false;
    this.forgetChannel();
    return true;
  }

  private forgetChannel(): void {
    this.ch = undefined;
    this.draining = undefined; // its consumer went with the channel
    this.controlTag = undefined;
    this.selfProbe.reset();
    this.controlProbe.reset();
    this.writer = AMQPLIB_ONLY;
    this.acks = undefined;
    this.consumers.forget();
  }

  /** @internal AttachableLink */
  async setup(ch: Channel, model: ChannelModel, stale: () => boolean, reconnected: boolean): Promise<void> {
    ch.on('return', (m: Message) => this.returned(ch, m));
    await declareExchanges(ch, this.s.names);
    if (stale()) {
      // Closed (or superseded) meanwhile: declare no queue at all.
      await ch.close();
      return;
    }
    try {
      // The control queue first: a refusal of either (below) closes the channel, and a request queue
      // declared before it would stay on a shared connection (the next attach uses fresh names). One
      // left by a refused request queue expires unused (declareAgentControlQueue).
      await declareAgentControlQueue(ch, this.s.names, this.identity, this.s.names.controlQueue(this.queue));
      await declareAgentQueue(ch, this.s.names, this.identity, !this.paused, this.queue);
    } catch (err) {
      // RESOURCE_LOCKED: a queue of that name is still held by our old connection on a cluster node
      // that crashed (until the other nodes clean it up). Mappers route by identity, not by queue
      // name: the next attach (in REATTACH_DELAY) declares a queue of a fresh name instead.
      // NOT_FOUND right after declaring it: the surviving nodes' clean-up of that crashed queue removed
      // the name under us; a fresh name cannot be removed by that clean-up later either.
      const code = (err as { code?: unknown }).code;
      // PRECONDITION_FAILED: the name is another agent's queue of other arguments on this connection
      // (an identity ending in `.control` next to the agent whose control queue that is).
      if (code === 405 || code === 404 || code === 406) this.queue = `${this.s.names.agentQueue(this.identity)}.${randomBytes(4).toString('hex')}`;
      throw err;
    }
    // Possibly a new queue (a new connection, maybe on another node): what was queued before may be gone.
    this.incarnation = randomBytes(6).toString('hex');
    if (stale()) {
      // Closed meanwhile: a channel left open would keep the queue (exclusive to the still-open
      // connection), whose probe binding would tell mappers this stopped agent is still there.
      if (this.attacher.isClosed) {
        await ch.deleteQueue(this.queue);
        await ch.deleteQueue(this.s.names.controlQueue(this.queue));
      }
      await ch.close();
      return;
    }
    this.ch = ch;
    this.unacked = 0;
    // Busy: deliveries other than the one being answered are not acknowledged yet.
    this.writer = linkWriter(model, this.s.batchWrites, () => this.busy());
    // Every delivery is acknowledged when settled (at-most-once too), so prefetch always bounds what the agent holds.
    const writer = this.writer;
    this.acks = new AckBatcher(ch, () => writer.batch());
    this.attacher.opened();
    // Let the owner store the link (it resolves open()) before the first request arrives.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // From here on the channel is `this.ch`: close() closes it.
    if (stale()) return;
    // The control queue first: each consumer's window is the prefetch set last before it, and
    // nothing else sets one on this channel until the request consumers do (addRoutes waits for them).
    await this.consumeControl(ch);
    if (stale()) return;
    if (!this.paused) await this.consumers.start(ch);
    else if (!this.attacher.isClosed) await this.follow(ch); // attached again while draining
    this.replies.flush(ch);
    if (reconnected && !this.paused) this.sink.onReconnect?.();
  }

  private receive(ch: Channel, m: ConsumeMessage | null, parked: boolean): void {
    if (m && ch === this.ch) this.unacked++;
    this.inbox.receive(ch, m, parked);
  }

  /** Consumes the control queue on `ch` (its own window: never held up by the requests'). */
  private async consumeControl(ch: Channel): Promise<void> {
    await ch.prefetch(CONTROL_WINDOW); // per consumer: this one only
    const { consumerTag } = await ch.consume(this.s.names.controlQueue(this.queue), (m) => this.inbox.receiveControl(ch, m), { noAck: false });
    if (ch === this.ch && !this.attacher.isClosed) this.controlTag = consumerTag;
  }

  /** A delivery of the current channel was acknowledged with its reply (agent-replies.ts): the batcher skips its settle. */
  private ackedWithReply(tag: number): void {
    this.acks?.ackedElsewhere(tag);
  }

  private ack(ch: Channel, m: Message): void {
    if (ch === this.ch && this.unacked > 0) this.unacked--;
    this.settle(ch, m);
  }

  /** Acknowledges a delivery that never counted in `unacked` (one the drain handed back or dropped). */
  private settle(ch: Channel, m: Message): void {
    if (this.acks && ch === this.ch) {
      this.acks.ack(m);
      return;
    }
    safeAck(ch, m);
    this.writer.batch();
  }

  /** Starts the drain that hands back requests and passes on the rest until close. */
  private async follow(ch: Channel): Promise<QueueDrain> {
    // One per channel: a pause during an attach and the attach itself both ask for it.
    if (this.draining?.channel !== ch) this.draining = new QueueDrain({ ...this.drainSettings(ch), follow: (m) => this.receive(ch, m, false) });
    const drain = this.draining;
    await drain.start();
    return drain;
  }

  private drainSettings(ch: Channel): Omit<QueueDrainSettings, 'follow'> {
    return {
      ch,
      queue: this.queue,
      identity: this.identity,
      names: this.s.names,
      serializer: this.s.serializer,
      ack: (m) => this.settle(ch, m),
      malformed: (reason) => this.sink.onMalformed(reason),
    };
  }

  broadcast(packet: HeartbeatPacket): void {
    const ch = this.ch;
    // A heartbeat lost while disconnected is replaced by the Register sent on reconnect.
    if (!ch) return;
    // The control header: mappers send what follows running requests to the control queue (declared with the request queue, before any heartbeat).
    // The queue's name while taking work: mappers may publish requests to it by name (amqp.wire.ts, HEADER_QUEUE_NAME).
    const headers: Record<string, unknown> = { [HEADER_QUEUE]: this.incarnation, [HEADER_CONTROL]: 1 };
    if (!this.paused) headers[HEADER_QUEUE_NAME] = this.queue;
    ch.publish(this.s.names.heartbeat, '', this.s.serializer.encode(packet), { contentType: this.s.serializer.contentType, headers });
    this.selfProbe.publish(ch, this.queue);
    this.controlProbe.publish(ch, this.s.names.controlQueue(this.queue));
    this.writer.batch();
  }

  /** A message the broker handed back: a reply whose mapper is gone, or our own probe (agent-self-probe.ts). */
  private returned(ch: Channel, m: Message): void {
    if (this.selfProbe.returned(ch, m, this.queue) || this.controlProbe.returned(ch, m, this.s.names.controlQueue(this.queue))) return;
    this.s.logger.debug({ agent: this.identity, mapper: m.properties.correlationId }, 'reply returned: its mapper is gone or reconnecting');
  }

  /**
   * The broker cancelled a consumer of `ch` (its queue was deleted under it): attach again on a new
   * channel, this one closed first (its other consumers would otherwise go on beside the new ones).
   */
  private consumerCancelled(ch: Channel): void {
    if (ch !== this.ch || this.attacher.isClosed) return;
    this.forgetChannel();
    ch.close().catch(() => undefined);
    this.attacher.reattachSoon();
  }

  private newSelfProbe(): SelfProbe {
    return new SelfProbe({
      confirmDelay: SELF_PROBE_CONFIRM_DELAY,
      confirmWait: SELF_PROBE_CONFIRM_WAIT,
      lost: (ch, queue) => this.queueLost(ch, queue),
      unconfirmed: (queue) => this.s.logger.warn({ agent: this.identity, queue }, 'the broker returned a probe of this agent\'s queue, and routed the next one: not believed, nothing done (seen while another cluster node leaves)'),
    });
  }

  /**
   * Two probes of our request queue, or of our control queue, in a row came back: the broker no
   * longer routes to it. Both are declared again under fresh names (without the control queue,
   * cancels and what follows running requests would be dropped unseen; without the request queue,
   * requests).
   */
  private queueLost(ch: Channel, queue: string): void {
    const lost = this.queue;
    if (ch !== this.ch || this.attacher.isClosed || (queue !== lost && queue !== this.s.names.controlQueue(lost))) return;
    this.unroutedQueues++;
    this.queue = `${this.s.names.agentQueue(this.identity)}.${randomBytes(4).toString('hex')}`;
    this.s.logger.warn({ agent: this.identity, queue, next: this.queue }, 'the broker no longer routes to this agent\'s queue (a crashed cluster node\'s clean-up removed it under us); attaching again under a fresh queue name');
    // A new channel: a new queue, its bindings and consumers, and a Register (link-attacher.ts). The
    // lost queue goes with the old channel (deleting one whose record is gone fails: that is fine).
    this.forgetChannel();
    this.attacher.reattachSoon();
    // The other queue first (it still exists, and bound it would keep collecting copies of what the
    // new ones get); a failed delete closes the channel, and the lost queue's record may be gone.
    const control = this.s.names.controlQueue(lost);
    const [first, second] = queue === lost ? [control, lost] : [lost, control];
    ch.deleteQueue(first)
      .then(() => ch.deleteQueue(second))
      .catch(() => undefined)
      .finally(() => ch.close().catch(() => undefined));
  }

  /** A channel of the current connection for the last steps of a close. */
  private async spareChannel(): Promise<Channel> {
    const model = this.s.connection.current;
    if (!model) throw new Error('not connected');
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.s.logger.debug({ agent: this.identity, err: err.message }, 'closing agent link: channel error'));
    return ch;
  }

  reply(mapper: string, packet: ReplyPacket): void {
    this.replies.reply(mapper, packet);
  }

  busy(): boolean {
    return this.unacked > 1;
  }

  replyMany(mapper: string, packets: readonly ReplyPacket[], seal: (group: readonly ReplyPacket[]) => ReplyPacket | undefined): void {
    this.replies.replyMany(mapper, packets, seal);
  }

  /**
   * Also consumes the parked (offline-failsafe) requests of `routes`, for actors added after the
   * agent started. Routes are remembered for every later re-attach.
   */
  addRoutes(routes: readonly string[]): Promise<void> {
    return this.consumers.add(this.attacher.isClosed ? undefined : this.ch, routes);
  }

  /**
   * Stops taking requests: unbinds (new requests come back to their mapper), cancels consumers,
   * hands back what is queued, and from then on until close passes on what follows the requests
   * still running (agent-drain.ts).
   */
  async pause(): Promise<void> {
    if (this.paused) return;
    this.paused = true;
    const ch = this.ch;
    if (!ch) return;
    try {
      await ch.unbindQueue(this.queue, this.s.names.agent, this.identity);
      await this.consumers.cancel(ch);
      await (await this.follow(ch)).emptied();
    } catch (err) {
      this.s.logger.warn({ agent: this.identity, err: (err as Error).message }, 'pause did not complete (connection lost?)');
    }
  }

  /** Pauses, hands back anything queued, deletes the queue and closes the channel. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.pause();
    this.attacher.close();
    this.selfProbe.reset();
    this.controlProbe.reset();
    const ch = this.ch;
    this.ch = undefined;
    const drain = this.draining;
    this.draining = undefined;
    const control = this.controlTag;
    this.controlTag = undefined;
    if (ch) {
      try {
        await drain?.stop();
        if (control !== undefined) await ch.cancel(control);
        // On channels of their own: a refused delete closes its channel (agent-drain.ts).
        const last = await deleteDrained((c) => this.drainSettings(c), () => this.spareChannel());
        await last.deleteQueue(this.s.names.controlQueue(this.queue));
        await last.close();
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

