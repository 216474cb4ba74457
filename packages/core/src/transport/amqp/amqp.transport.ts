/**
 * amqp://user:pass@host:port/vhost — Nanite over RabbitMQ (amqplib).
 *
 * One connection per transport, one channel per link. See docs/amqp.md for the topology, the
 * failover guarantee, delivery choices and the URL options.
 */
import { NaniteError } from '../../errors';
import { checkAmqpOptions } from './amqp-options-check';
import { defaultLogger, type Logger } from '../../internal/logger';
import { JsonSerializer } from '../../serializer/json.serializer';
import type { Serializer } from '../../serializer/serializer';
import type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, Transport } from '../transport';
import { AmqpAgentLink } from './amqp-agent.link';
import { AmqpGossipLink } from './amqp-gossip.link';
import type { GossipLink, GossipSink, GossipTransport } from '../gossip';
import { AmqpConnection, type AmqpNodeState } from './amqp.connection';
import { resolveNodes } from './amqp.nodes';
import { AmqpMapperLink } from './amqp-mapper.link';
import { DEFAULT_AMQP_OPTIONS, type AmqpDelivery, type AmqpQueueType, type AmqpTransportOptions } from './amqp.options';
import { amqpOptionsFromUrl } from './amqp.options';
import { amqpNames, type AmqpNames } from './amqp.topology';
import { DefaultExchangeAccess } from './default-exchange';
import { parseTransportUrl } from '../redact-url';

/** Counters of an {@link AmqpTransport}, summed over its open links: what it holds that arrived from the wire. */
export interface AmqpTransportStats {
  /** Requests running and results kept by agent links to answer re-sent requests without running them twice (bounded by the prefetch window and 4 096 recent results). */
  replyCacheEntries: number;
  /** Results agent links could not keep through an outage because the hold (100 000) was full. */
  replyCacheOverflowed: number;
  /** At-most-once pushes agent links dropped because the broker redelivered them (they may have run before a channel failure). */
  droppedRedeliveries: number;
  /** Messages mapper links received as "handed back by a draining agent" that they had not sent to that agent (forged or stale), and ignored. */
  rejectedBounces: number;
  /** Copies of a running request that agent links ignored because they were not a re-send by its mapper link (another session, or no re-send mark). */
  rejectedCopies: number;
  /** Times an agent link found the broker no longer routed to its queue (a crashed cluster node's clean-up removed it) and attached again. */
  unroutedQueues: number;
  /** Returned probes of an agent link's own queue that a second probe did not confirm (the broker returned a probe of a queue it still routes to: seen while another cluster node leaves). */
  unconfirmedProbeReturns: number;
}

/** Largest prefetch window AMQP's basic.qos can carry, so the most an amqp:// agent's `concurrency` can be. */
export const MAX_PREFETCH = 0xffff;

/** The RabbitMQ transport. */
export class AmqpTransport implements Transport, GossipTransport {
  readonly url: string;
  /** The exchange/queue name prefix. */
  readonly prefix: string;
  /** Queue type of the park queues (see {@link AmqpTransportOptions.queueType}). */
  readonly queueType: AmqpQueueType;
  private readonly names: AmqpNames;
  private readonly serializer: Serializer;
  private readonly logger: Logger;
  private readonly o: Required<Omit<AmqpTransportOptions, 'serializer' | 'logger' | 'routeDelivery' | 'url' | 'urls' | 'queueType' | 'nodeOrder'>> & { routeDelivery: Readonly<Record<string, AmqpDelivery>> };
  private readonly connection: AmqpConnection;
  private readonly links = new Set<AmqpAgentLink | AmqpMapperLink>();
  private readonly listeners = new Set<(connected: boolean, node?: string) => void>();
  private readonly gossipLinks = new Set<AmqpGossipLink>();
  /** Whether each connection may publish to the default exchange (shared by this transport's mapper links). */
  private readonly defaultExchange: DefaultExchangeAccess | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(options: AmqpTransportOptions) {
    const main = options.url ?? options.urls?.[0];
    if (main === undefined) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'AmqpTransport needs `url` or `urls`' });
    const fromUrl = amqpOptionsFromUrl(parseTransportUrl(main));
    const merged = { ...DEFAULT_AMQP_OPTIONS, ...fromUrl, ...stripUndefined(options) };
    checkAmqpOptions(merged);
    this.o = { ...merged, routeDelivery: options.routeDelivery ?? {} };
    const nodes = resolveNodes({ url: options.url, urls: options.urls, heartbeat: this.o.heartbeat, order: merged.nodeOrder ?? 'shuffled' });
    this.queueType = merged.queueType ?? (nodes.nodes.length > 1 ? 'quorum' : 'classic');
    this.prefix = this.o.prefix;
    this.names = amqpNames(this.prefix, this.queueType);
    this.serializer = options.serializer ?? new JsonSerializer();
    this.logger = options.logger ?? defaultLogger('nanite-amqp');
    this.url = nodes.safeUrl;
    this.defaultExchange = this.o.defaultExchange ? new DefaultExchangeAccess(this.logger, this.names.agent) : undefined;
    this.connection = new AmqpConnection({
      nodes: nodes.nodes,
      safeUrl: this.url,
      connectTimeout: this.o.connectTimeout,
      reconnectMin: this.o.reconnectMin,
      reconnectMax: this.o.reconnectMax,
      failFast: this.o.failFast,
      logger: this.logger,
    });
    this.connection.observe({
      up: () => this.notify(true, this.connection.node),
      down: () => this.notify(false, undefined),
    });
  }

  /** Builds a transport from `amqp(s)://user:pass@host:port/vhost?prefix=..` (see docs/amqp.md for every option). */
  static fromUrl(url: URL): AmqpTransport {
    return new AmqpTransport(amqpOptionsFromUrl(url));
  }

  /** True while connected to the broker. */
  get isConnected(): boolean {
    return this.connection.isUp;
  }

  /** `host:port` of the broker node this transport is connected to; undefined while disconnected. */
  get node(): string | undefined {
    return this.connection.node;
  }

  /**
   * What this transport last saw of each configured node: `up` (connected to it), `down` (the last
   * attempt or connection failed) or `unknown` (not tried since). Connected with another node
   * `down` is a partial outage of the cluster.
   */
  nodes(): AmqpNodeState[] {
    return this.connection.nodeStates();
  }

  /** Counters of what this transport's links hold (for monitoring and tests). */
  stats(): AmqpTransportStats {
    const out: AmqpTransportStats = { replyCacheEntries: 0, replyCacheOverflowed: 0, droppedRedeliveries: 0, rejectedBounces: 0, rejectedCopies: 0, unroutedQueues: 0, unconfirmedProbeReturns: 0 };
    for (const link of this.links) {
      if (!(link instanceof AmqpAgentLink)) {
        out.rejectedBounces += link.stats.rejectedBounces;
        continue;
      }
      const s = link.stats;
      out.replyCacheEntries += s.replyCacheEntries;
      out.replyCacheOverflowed += s.replyCacheOverflowed;
      out.droppedRedeliveries += s.droppedRedeliveries;
      out.rejectedCopies += s.rejectedCopies;
      out.unroutedQueues += s.unroutedQueues;
      out.unconfirmedProbeReturns += s.unconfirmedProbeReturns;
    }
    return out;
  }

  /** Calls `listener(true, node)` on every (re)connect (node: `host:port` connected to) and `listener(false)` on every loss; returns an unsubscribe function. */
  onConnectionChange(listener: (connected: boolean, node?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Connects. Rejects with `NANITE_ERR_TRANSPORT_AUTH` on bad credentials or vhost; with an
   * unreachable broker it resolves (not connected, retrying with backoff) unless `failFast`.
   */
  async connect(): Promise<void> {
    if (this.closing) throw new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `${this.url} is closed` });
    this.started = true;
    await this.connection.start();
  }

  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    this.assertStarted();
    // basic.qos carries the window in 16 bits: a larger one fails every attach, so the agent would retry forever serving nothing.
    if (options.prefetch > MAX_PREFETCH) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `amqp:// takes at most ${MAX_PREFETCH} requests in flight per agent (AMQP's prefetch is 16 bits): concurrency ${options.prefetch} is too high`, data: { option: 'concurrency', value: options.prefetch } });
    }
    const link = new AmqpAgentLink(identity, sink, options, {
      connection: this.connection,
      names: this.names,
      serializer: this.serializer,
      logger: this.logger,
      bufferSize: this.o.bufferSize,
      delivery: this.o.delivery,
      routeDelivery: this.o.routeDelivery,
      dedupWindow: this.o.dedupWindow,
      batchWrites: this.o.batchWrites,
      onClosed: (l) => this.links.delete(l),
    });
    this.links.add(link);
    await this.opened(link);
    return link;
  }

  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    this.assertStarted();
    const link = new AmqpMapperLink(id, sink, {
      connection: this.connection,
      names: this.names,
      serializer: this.serializer,
      logger: this.logger,
      bufferSize: this.o.bufferSize,
      probeInterval: this.o.probeInterval,
      rejoinTimeout: this.o.rejoinTimeout,
      batchWrites: this.o.batchWrites,
      defaultExchange: this.defaultExchange,
      onClosed: (l) => this.links.delete(l),
    });
    this.links.add(link);
    await this.opened(link);
    return link;
  }

  /** Opens a mapper's gossip endpoint (the roster's anti-entropy; see amqp-gossip.link.ts). */
  async openGossip(id: string, sink: GossipSink): Promise<GossipLink> {
    this.assertStarted();
    const link = new AmqpGossipLink(id, sink, { connection: this.connection, prefix: this.prefix, serializer: this.serializer, logger: this.logger, onClosed: (l) => this.gossipLinks.delete(l) });
    this.gossipLinks.add(link);
    await this.opened(link);
    return link;
  }

  private async opened(link: AmqpAgentLink | AmqpMapperLink | AmqpGossipLink): Promise<void> {
    try {
      await link.open();
    } catch (err) {
      await link.close();
      throw err;
    }
  }

  /** Closes every link (agents drain first), then the connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const link of [...this.links]) await link.close();
      for (const link of [...this.gossipLinks]) await link.close();
      await this.connection.close();
      this.listeners.clear();
    })();
    return this.closing;
  }

  private assertStarted(): void {
    if (this.closing) throw new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `${this.url} is closed` });
    if (!this.started) throw new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `${this.url} is not connected: call connect() first` });
  }

  private notify(connected: boolean, node: string | undefined): void {
    for (const l of [...this.listeners]) {
      try {
        l(connected, node);
      } catch (err) {
        this.logger.warn({ err }, 'connection listener threw');
      }
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
