/**
 * A mapper's side of amqp://: hears every heartbeat on its exclusive queue, receives results on
 * direct reply-to, sends requests with `mandatory` (a gone agent's requests come straight back),
 * probes agents holding its requests, parks offline-failsafe requests in durable queues and, after
 * an outage, re-sends what it cannot know the fate of once each agent is back.
 *
 * This class wires the parts and owns the channel: attaching (link-attacher.ts), topology
 * (amqp.topology.ts), the in-flight table and its fate across outages (shared/request-tracker.ts),
 * publishing (mapper-publisher.ts), receiving and reply routing (mapper-inbox.ts) and liveness
 * probes (agent-prober.ts).
 */
import { BurstLog } from '../../internal/burst-log';
import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, Message } from 'amqplib';
import type { Logger } from '../../internal/logger';
import type { AgentBoundPacket, AgentBroadcastPacket, RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import { PublishBuffer } from '../shared/publish-buffer';
import { PushTagger } from '../shared/push-tagger';
import { RequestTracker } from '../shared/request-tracker';
import type { MapperLink, MapperSink, SendOptions } from '../transport';
import { binaryChunk, CHUNK_CONTENT_TYPE } from './amqp-chunks';
import { AgentProber } from './agent-prober';
import type { AmqpConnection } from './amqp.connection';
import { declareExchanges, declareMapperQueue, DIRECT_REPLY_TO, type AmqpNames } from './amqp.topology';
import type { DefaultExchangeAccess } from './default-exchange';
import { expiresAtFor, followKey } from './amqp.wire';
import { LinkAttacher, type AttachableLink } from './link-attacher';
import { MapperInbox } from './mapper-inbox';
import { MapperPublisher } from './mapper-publisher';
import { QueueIncarnations } from './queue-incarnations';
import { AMQPLIB_ONLY, linkWriter, type LinkWriter } from './write-batcher';

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
  /** Finds out whether a connection may publish to the default exchange; undefined: never publish there (option `defaultExchange: false`). */
  defaultExchange: DefaultExchangeAccess | undefined;
  onClosed(link: AmqpMapperLink): void;
}

interface PendingPush {
  agent: string;
  packet: RequestPacket;
  persistent: boolean;
  expiresAt: number;
}

/** The mapper link of the amqp:// transport. */
export class AmqpMapperLink implements MapperLink, AttachableLink {
  private ch: Channel | undefined;
  private closing: Promise<void> | undefined;
  private writer: LinkWriter = AMQPLIB_ONLY;
  /** The current connection may publish to the default exchange: requests go to agents' queues by name there (mapper-publisher.ts). */
  private byName = false;
  /** The mapper's queue: `P.mapper.<id>`, or a fresh name after that one was locked (see setup). */
  private queue: string;
  private readonly attacher: LinkAttacher;
  private readonly tracker: RequestTracker;
  /** What agents' heartbeats say of their queues (incarnation, control queue, name). */
  private readonly queues: QueueIncarnations;
  private readonly publisher: MapperPublisher;
  private readonly inbox: MapperInbox;
  private readonly prober: AgentProber;
  private readonly pushes: PublishBuffer<PendingPush>;
  /** Held or sent requests whose re-publishing threw (kept for the next attach). */
  private readonly republishFaults: BurstLog;

  constructor(
    readonly id: string,
    private readonly sink: MapperSink,
    private readonly s: AmqpMapperLinkSettings,
  ) {
    this.queue = s.names.mapperQueue(id);
    this.queues = new QueueIncarnations(s.names.agentQueue);
    this.pushes = new PublishBuffer(s.bufferSize, 'push');
    this.republishFaults = new BurstLog({ logger: s.logger, message: 'could not re-send requests to an agent heard from again; they are kept for the next attach (further failures are only counted for a while)' });
    const tagger = new PushTagger();
    this.attacher = new LinkAttacher({ role: 'mapper', bindings: { mapper: id }, connection: s.connection, logger: s.logger }, this);
    this.tracker = new RequestTracker({
      bufferSize: s.bufferSize,
      rejoinTimeout: s.rejoinTimeout,
      publish: (agent, entry, resent) => this.ch && this.publisher.request(this.ch, agent, entry, resent),
      undeliverable: (packet, agent) => sink.onUndeliverable(packet, agent),
      agentGone: (agent) => sink.onAgentGone?.(agent),
      republishFailed: (agent, err) => this.republishFaults.record({ mapper: id, agent, err: (err as Error).message }),
    });
    this.publisher = new MapperPublisher({
      ...s,
      id,
      session: randomBytes(8).toString('hex'),
      tagger,
      writer: () => this.writer,
      queueOf: (agent) => (this.byName ? this.queues.queueOf(agent) : undefined),
      expired: (agent, requestId) => this.tracker.take(agent, requestId),
      unconfirmed: (packet, agent) => this.inbox.undeliverable(packet, agent),
      returned: (m) => this.inbox.returned(m),
    });
    this.prober = new AgentProber({
      interval: s.probeInterval,
      exchange: s.names.agent,
      candidates: () => this.tracker.probeCandidates(),
      gone: (agent) => {
        if (this.tracker.has(agent)) this.tracker.gone(agent);
      },
    });
    this.inbox = new MapperInbox({ ...s, id, sink, tracker: this.tracker, tagger, prober: this.prober, incarnations: this.queues });
  }

  /** Counters of what this link refused from the wire. */
  get stats(): { rejectedBounces: number } {
    return { rejectedBounces: this.inbox.rejectedBounces };
  }

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    return this.attacher.open();
  }

  /** @internal AttachableLink */
  lost(): void {
    this.ch = undefined;
    this.writer = AMQPLIB_ONLY;
    this.byName = false;
    this.publisher.reset();
    this.prober.stop();
    this.tracker.detached();
  }

  /** @internal AttachableLink */
  channelClosed(ch: Channel): boolean {
    if (this.ch !== ch) return false;
    // Results addressed to the old channel's direct reply-to are lost: treat it like an outage.
    this.lost();
    this.attacher.opened();
    return true;
  }

  /** @internal AttachableLink */
  async setup(ch: Channel, model: ChannelModel, stale: () => boolean, reconnected: boolean): Promise<void> {
    ch.on('return', (m: Message) => this.inbox.returned(m));
    await declareExchanges(ch, this.s.names);
    try {
      await declareMapperQueue(ch, this.s.names, this.id, this.queue);
    } catch (err) {
      // RESOURCE_LOCKED: our old queue on a crashed cluster node holds the name until the other nodes
      // clean it up. Heartbeats are fanned out and replies routed by identity, not by queue name:
      // the next attach declares a queue of a fresh name.
      // NOT_FOUND right after declaring it: the surviving nodes' clean-up of that crashed queue removed
      // the name under us; a fresh name cannot be removed by that clean-up later either.
      const code = (err as { code?: unknown }).code;
      if (code === 405 || code === 404) this.queue = `${this.s.names.mapperQueue(this.id)}.${randomBytes(4).toString('hex')}`;
      throw err;
    }
    // Direct reply-to must be consumed (no-ack) on the channel that publishes the requests.
    await ch.consume(DIRECT_REPLY_TO, (m) => this.inbox.receive(m), { noAck: true });
    await ch.consume(this.queue, (m) => this.inbox.receive(m), { noAck: true });
    if (stale()) {
      // Closed meanwhile: the queue (exclusive to the still-open connection) would keep collecting every heartbeat.
      if (this.attacher.isClosed) await ch.deleteQueue(this.queue);
      await ch.close();
      return;
    }
    this.ch = ch;
    // Busy: another request of this link awaits its result (the one being sent is already counted).
    this.writer = linkWriter(model, this.s.batchWrites, () => this.tracker.size > 1);
    this.prober.start(ch);
    // Through `P.agent` until the connection is known to be allowed the default exchange (one round trip, once per connection).
    void this.s.defaultExchange?.writable(model).then((writable) => {
      if (this.ch === ch) this.byName = writable;
    });
    const held = this.pushes.drain();
    for (let i = 0; i < held.length; i++) {
      const p = held[i]!;
      try {
        this.publisher.push(ch, p.agent, p.packet, p.persistent, p.expiresAt);
      } catch (err) {
        // The channel went meanwhile (each was checked encodable when held): keep the rest for the next attach.
        for (const rest of held.slice(i)) this.pushes.push(rest);
        throw err;
      }
    }
    this.tracker.reattached();
    this.attacher.opened();
    if (reconnected) this.sink.onReconnect?.();
  }

  send(agent: string, packet: AgentBoundPacket, options: SendOptions = {}): void {
    const persistent = options.persistent ?? false;
    // Requests and pushes carry their deadline to the broker, which drops them once it passed (nobody waits for them any more).
    const expiresAt = expiresAtFor(options.ttl, Date.now());
    if (packet.type === 'request') {
      // Held now, encoded later (in a transport callback): what cannot cross the wire is refused now, to the caller.
      if (this.tracker.holds(agent)) this.s.serializer.encode(packet);
      this.tracker.send(agent, packet, { persistent, atMostOnce: options.delivery === 'at-most-once', expiresAt });
      return;
    }
    const ch = this.ch;
    if (packet.type === 'push') {
      if (ch) this.publisher.push(ch, agent, packet, persistent, expiresAt);
      else {
        this.s.serializer.encode(packet); // as for a held request
        this.pushes.push({ agent, packet, persistent, expiresAt });
      }
      return;
    }
    // Cancels and unicast advertises are worthless after an outage: the agent's own deadline and the reconnect's advertise replace them.
    // Stream packets lost then are caught by the count in the stream's end packet.
    // What follows a running request goes to the agent's control queue (outside the requests'
    // window, consumed while it drains), or for an agent of an earlier release with the probe key
    // its request queue keeps until it is gone (amqp.wire.ts, followKey).
    const control = packet.type !== 'advertise' && this.queues.hasControl(agent);
    const key = packet.type === 'advertise' ? agent : followKey(agent, control);
    const bin = packet.type === 'chunk' ? binaryChunk(packet) : undefined;
    if (bin) ch?.publish(this.s.names.agent, key, bin.body, { contentType: CHUNK_CONTENT_TYPE, headers: bin.headers });
    else {
      const bytes = this.s.serializer.encode(packet);
      ch?.publish(this.s.names.agent, key, bytes, { contentType: this.s.serializer.contentType });
      // A cancel for a request still waiting at the broker would overtake it on the control queue
      // (and find nothing to stop): a second copy follows the request, in order, in its queue. Cancels
      // are idempotent; the agent drops the one that finds nothing.
      if (control && packet.type === 'cancel') ch?.publish(this.s.names.agent, followKey(agent, false), bytes, { contentType: this.s.serializer.contentType });
    }
    this.writer.batch();
  }

  broadcast(packet: AgentBroadcastPacket): void {
    // Lost while disconnected: the link re-advertises (onReconnect) as soon as it is back; a survey
    // gets no answers. A survey expires at the broker with its deadline (an agent busy past it would
    // answer nobody).
    const expiration = packet.type === 'survey' && packet.timeout > 0 ? String(packet.timeout) : undefined;
    this.ch?.publish(this.s.names.advertise, '', this.s.serializer.encode(packet), { contentType: this.s.serializer.contentType, ...(expiration ? { expiration } : {}) });
    this.writer.batch();
  }

  /** Parks a request in the durable queue of its route, for at most `ttl` ms, with a publisher confirm. */
  park(packet: RequestPacket, ttl: number): void {
    this.publisher.park(packet, ttl);
  }

  /** Deletes the queue, closes the channels and forgets every in-flight request. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.attacher.close();
    const ch = this.ch;
    this.lost();
    this.tracker.clear();
    this.pushes.clear();
    try {
      await this.publisher.close();
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

