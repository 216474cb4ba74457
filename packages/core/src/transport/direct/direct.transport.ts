/**
 * Direct mode: a {@link Transport} that adds an SP data path to a control-plane transport
 * (amqp://, memory://). Agents opened on it listen on an SP endpoint and advertise it in their
 * Register; mappers opened on it send requests straight to those endpoints and fall back to the
 * control plane whenever an agent's pipe is not up. Heartbeats, advertises, parked (persistent)
 * requests and everything else stay on the control plane.
 */
import { JsonSerializer } from '../../serializer/json.serializer';
import type { Serializer } from '../../serializer/serializer';
import { checkInteger } from '../sp/sp-options';
import { parseSpUrl } from '../sp/sp-url';
import type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, Transport } from '../transport';
import { openInnerGossip, type GossipLink, type GossipSink } from '../gossip';
import { DirectAgentLink } from './direct-agent.link';
import { DirectMapperLink, type DirectMapperStats } from './direct-mapper.link';
import { DirectServer } from './direct-server';
import { DEFAULT_DIRECT_OPTIONS, type DirectTransportOptions } from './direct.options';
import { refusingJsonFace } from './json-gateway';

/**
 * The control plane plus the direct SP data path.
 *
 * ```ts
 * const control = createTransport('amqp://guest:guest@localhost');
 * const agent = new Agent({ transport: new DirectTransport(control, { listen: 'tcp://0.0.0.0:0' }), actors });
 * const mapper = new Mapper({ transport: new DirectTransport(control, { direct: true }) });
 * ```
 * Usually made for you: `new Agent({ listen })`, `new Mapper({ direct: true })`.
 */
export class DirectTransport implements Transport {
  private readonly serializer: Serializer;
  private readonly maxMessageSize: number;
  private readonly maxJsonPending: number;
  private readonly links = new Set<AgentLink | MapperLink>();
  private closing: Promise<void> | undefined;

  constructor(
    /** The control-plane transport. */
    readonly inner: Transport,
    private readonly options: DirectTransportOptions = {},
  ) {
    if (options.listen !== undefined) parseSpUrl(options.listen);
    if (inner.onConnectionChange) this.onConnectionChange = (listener) => inner.onConnectionChange!(listener);
    this.serializer = options.serializer ?? new JsonSerializer();
    this.maxMessageSize = checkInteger('maxMessageSize', options.maxMessageSize ?? DEFAULT_DIRECT_OPTIONS.maxMessageSize, 1_024, 0x7fff_ffff);
    this.maxJsonPending = checkInteger('maxJsonPending', options.maxJsonPending ?? DEFAULT_DIRECT_OPTIONS.maxJsonPending, 1, 10_000_000);
  }

  get url(): string {
    return this.inner.url;
  }

  get isConnected(): boolean | undefined {
    return this.inner.isConnected;
  }

  /** The control plane's connection changes (present when the control plane reports them). */
  readonly onConnectionChange?: (listener: (connected: boolean) => void) => () => void;

  /** Mapper-to-mapper roster gossip stays on the control plane (the SP path carries requests only). */
  openGossip(id: string, sink: GossipSink): Promise<GossipLink> {
    return openInnerGossip(this.inner, id, sink);
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    const listen = this.options.listen;
    if (listen === undefined) return this.inner.openAgent(identity, sink, options);
    const server = await DirectServer.open(listen, identity, sink, {
      serializer: this.serializer,
      maxMessageSize: this.maxMessageSize,
      maxJsonPending: this.maxJsonPending,
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    let inner: AgentLink;
    try {
      inner = await this.inner.openAgent(identity, refusingJsonFace(sink), options);
    } catch (err) {
      await server.close();
      throw err;
    }
    return this.track(new DirectAgentLink(inner, server));
  }

  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    if (!this.options.direct) return this.inner.openMapper(id, sink);
    const link = new DirectMapperLink(id, sink, { serializer: this.serializer, maxMessageSize: this.maxMessageSize, ...(this.options.logger ? { logger: this.options.logger } : {}) });
    link.attach(await this.inner.openMapper(id, link.sink));
    return this.track(link);
  }

  /** Counters of the direct mapper links opened here, summed (what went over SP and what took the control plane). */
  stats(): DirectMapperStats {
    const sum: DirectMapperStats = { peers: 0, sentDirect: 0, sentFallback: 0, lostPipes: 0, streams: 0, retiredPipes: 0, retiredEvicted: 0 };
    for (const l of this.links) {
      if (!(l instanceof DirectMapperLink)) continue;
      const s = l.stats();
      for (const k of Object.keys(sum) as Array<keyof DirectMapperStats>) sum[k] += s[k];
    }
    return sum;
  }

  /** Closes the links opened here (and the control plane when `ownsInner`). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const l of [...this.links]) await l.close();
      this.links.clear();
      if (this.options.ownsInner) await this.inner.close();
    })();
    return this.closing;
  }

  private track<L extends AgentLink | MapperLink>(link: L): L {
    // Kept until the transport closes (closing a closed link again is a no-op).
    this.links.add(link);
    return link;
  }
}
