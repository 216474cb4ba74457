/**
 * memory://name: the in-process transport, Nanite's embedded default.
 *
 * Payload semantics: packets (and so payloads and results) are passed **by reference**, like a
 * function call, which is what makes memory:// fast. Handlers must treat payloads as read-only.
 * `memory://name?copy=clone` deep-copies every packet with structuredClone instead, which catches
 * code that relies on sharing.
 *
 * A mapper and an agent on the same bus call each other in-process (local-calls.ts): a request
 * reaches the agent's handler synchronously and its replies come straight back, skipping the
 * microtask hops; `memory://name?local=off` keeps every packet on the bus.
 *
 * Either way, what a wire transport could not carry (a BigInt, a cycle, a function inside, too deep
 * or too large) is refused at `send()` / `reply()` with the same `NANITE_ERR_PAYLOAD` the JSON
 * serializer raises on amqp://, so code that works here works on the broker.
 */
import { NaniteError } from '../../errors';
import { decodePacket } from '../../protocol/decode';
import { assertPayloadSafe, assertResultSafe, assertWireSafe, DEFAULT_WIRE_LIMITS, type WireLimits } from '../../protocol/wire-safety';
import type { AgentBoundPacket, AgentBroadcastPacket, HeartbeatPacket, ReplyPacket, RequestPacket } from '../../protocol/packets';
import { NOT_HANDLED, offerOwnEntry, replyOwnResult, sendOwnRequest, type OwnAgentLink, type OwnMapperLink } from '../own-link';
import type { GossipLink, GossipSink, GossipTransport } from '../gossip';
import type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, SendOptions, Transport } from '../transport';
import { localFromUrl } from './local-calls';
import { MemoryBus, type BusAgentSink, type BusMapperSink } from './memory-bus';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** Bus name: transports with the same name (in the same {@link MemoryBusRegistry}) reach each other. */
  name?: string;
  /** `reference` (default, zero-copy) or `clone` (structuredClone every packet). */
  copy?: 'reference' | 'clone';
  /** Where named buses live; defaults to the registry of this module instance. */
  registry?: MemoryBusRegistry;
  /** What may cross this "wire"; defaults: {@link DEFAULT_WIRE_LIMITS}, as the JSON serializer's. */
  wireLimits?: Partial<WireLimits>;
  /**
   * In-process fast path between this transport's links and those of other transports on the bus
   * that allow it too (see local-calls.ts). Default true; ignored (off) with `copy: 'clone'`.
   */
  local?: boolean;
}

const byReference = <T>(v: T): T => v;

/**
 * Named buses, created on first use and dropped when their last transport closes.
 * Pass your own registry to isolate groups of transports (e.g. parallel tests).
 */
export class MemoryBusRegistry {
  private readonly buses = new Map<string, { bus: MemoryBus; users: number }>();

  acquire(name: string, copy: 'reference' | 'clone'): MemoryBus {
    let slot = this.buses.get(name);
    if (!slot) {
      slot = { bus: new MemoryBus(name, copy === 'clone' ? structuredClone : byReference), users: 0 };
      this.buses.set(name, slot);
    }
    slot.users++;
    return slot.bus;
  }

  release(bus: MemoryBus): void {
    const slot = this.buses.get(bus.name);
    if (!slot || slot.bus !== bus) return;
    slot.users--;
    if (slot.users <= 0 && bus.empty) this.buses.delete(bus.name);
  }

  /** Names of the buses in use. */
  names(): string[] {
    return [...this.buses.keys()];
  }
}

const processRegistry = new MemoryBusRegistry();

/** The in-process transport. */
export class MemoryTransport implements Transport, GossipTransport {
  readonly url: string;
  private readonly name: string;
  private readonly copy: 'reference' | 'clone';
  private readonly registry: MemoryBusRegistry;
  private readonly limits: WireLimits;
  private readonly local: boolean;
  /** Requests this transport's agents took through the in-process fast path. */
  private localRequests = 0;
  private bus: MemoryBus | undefined;
  /** Open links, with the sink to tell when the link comes back from a {@link MemoryTransport.disconnect}. */
  private readonly links = new Map<{ close(): Promise<void> }, { onReconnect?(): void }>();
  private severed = false;
  private partitioned = false;
  private disconnected = false;

  constructor(options: MemoryTransportOptions = {}) {
    this.name = options.name ?? 'default';
    this.copy = options.copy ?? 'reference';
    this.registry = options.registry ?? processRegistry;
    this.limits = options.wireLimits ? { ...DEFAULT_WIRE_LIMITS, ...options.wireLimits } : DEFAULT_WIRE_LIMITS;
    this.local = (options.local ?? true) && this.copy === 'reference';
    this.url = `memory://${this.name}${this.copy === 'clone' ? '?copy=clone' : options.local === false ? '?local=off' : ''}`;
  }

  /** Requests this transport's agents received through the in-process fast path (see local-calls.ts). */
  get localCalls(): number {
    return this.localRequests;
  }

  /** Builds a transport from `memory://name[?copy=clone][&local=off]`. */
  static fromUrl(url: URL, registry?: MemoryBusRegistry): MemoryTransport {
    const copy = url.searchParams.get('copy') ?? 'reference';
    if (copy !== 'reference' && copy !== 'clone') {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `memory:// copy must be "reference" or "clone", got "${copy}"` });
    }
    const local = localFromUrl(url.searchParams.get('local'));
    const name = decodeURIComponent(url.host || url.pathname.replace(/^\/+/, '')) || 'default';
    return new MemoryTransport({ name, copy, local, ...(registry ? { registry } : {}) });
  }

  async connect(): Promise<void> {
    this.bus ??= this.registry.acquire(this.name, this.copy);
  }

  async openAgent(identity: string, sink: AgentSink, _options: AgentLinkOptions): Promise<AgentLink> {
    const bus = this.requireBus();
    // Wrapped so fault injection (partition/sever) can drop what arrives.
    const guarded: BusAgentSink = {
      onPacket: (packet, settle) => {
        if (this.reachable) sink.onPacket(packet, settle);
        else settle();
      },
      onMalformed: (reason) => sink.onMalformed(reason),
    };
    const onLocal = this.local ? sink.onLocalRequest : undefined;
    if (onLocal) {
      guarded.onLocalRequest = (packet, settle, receivedAt, own) => {
        if (!this.reachable) {
          settle();
          return 0;
        }
        // Validated as off a wire: the raw MapperLink API can send anything. Not a request the
        // dispatcher handed over through its own send (own-link.ts): Nanite built it from a checked intake.
        if (own !== true) {
          const decoded = decodePacket(packet);
          if (!decoded.ok) {
            sink.onMalformed(decoded.reason);
            settle();
            return 0;
          }
        }
        this.localRequests++;
        return onLocal.call(sink, packet, settle, receivedAt) || 0;
      };
    }
    bus.attachAgent(identity, guarded);
    const link: OwnAgentLink = {
      broadcast: (packet: HeartbeatPacket) => {
        if (this.reachable) bus.toAllMappers(packet);
      },
      reply: (mapper: string, packet: ReplyPacket) => {
        assertWireSafe(packet, this.limits);
        if (this.reachable) bus.toMapper(mapper, packet, this.local);
      },
      pause: async () => bus.pauseAgent(identity, guarded),
      close: async () => {
        bus.detachAgent(identity, guarded);
        this.links.delete(link);
      },
    };
    // The replier's own results (own-link.ts), as their parts: the result is still wire-checked; no
    // packet is built for a mapper that takes results in-process, none re-validated for any other.
    const replyOwn = (mapper: string, id: number, result: unknown, status: number | undefined): void => {
      assertResultSafe(result, this.limits);
      if (this.reachable) bus.resultToMapper(mapper, identity, id, result, status, this.local);
    };
    offerOwnEntry(link, replyOwnResult, function (this: unknown, mapper: string, id: number, result: unknown, status: number | undefined): boolean {
      if (this !== link) return false;
      replyOwn(mapper, id, result, status);
      return true;
    });
    this.links.set(link, sink);
    return link;
  }

  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    const bus = this.requireBus();
    const guarded: BusMapperSink = {
      onPacket: (packet) => {
        if (this.reachable) sink.onPacket(packet);
      },
      onMalformed: (reason) => sink.onMalformed(reason),
      onUndeliverable: (packet, agent) => {
        if (this.reachable) sink.onUndeliverable(packet, agent);
      },
    };
    const onLocal = this.local ? sink.onLocalReply : undefined;
    if (onLocal) {
      guarded.onLocalReply = (packet, own) => {
        if (!this.reachable) return;
        if (own === true) return onLocal.call(sink, packet);
        const decoded = decodePacket(packet);
        if (decoded.ok) onLocal.call(sink, packet);
        else sink.onMalformed(decoded.reason);
      };
      // A local agent's own successful results, as their parts (own-link.ts): nothing to validate.
      const onResult = sink.onLocalResult;
      if (onResult) {
        guarded.onLocalResult = (from, id, result, status) => {
          if (this.reachable) onResult.call(sink, from, id, result, status);
        };
      }
    }
    bus.attachMapper(id, guarded);
    const link: OwnMapperLink = {
      inProcess: true,
      send: (agent: string, packet: AgentBoundPacket, options?: SendOptions) => {
        assertWireSafe(packet, this.limits);
        if (this.reachable) bus.toAgent(guarded, agent, packet, this.local, options?.now || undefined);
      },
      broadcast: (packet: AgentBroadcastPacket) => {
        if (packet.type === 'survey') assertWireSafe(packet, this.limits);
        if (this.reachable) bus.toAllAgents(packet);
      },
      close: async () => {
        bus.detachMapper(id, guarded);
        this.links.delete(link);
      },
    };
    // The dispatcher's own requests (own-link.ts): the payload is still wire-checked, the envelope
    // not re-validated; SendOptions other than `now` mean nothing here, so none is built.
    const sendOwn = (agent: string, packet: RequestPacket, now: number): number => {
      assertPayloadSafe(packet.route, packet.payload, this.limits);
      return this.reachable ? bus.toAgent(guarded, agent, packet, this.local, now === 0 ? undefined : now, true) : 0;
    };
    offerOwnEntry(link, sendOwnRequest, function (this: unknown, agent: string, packet: RequestPacket, now: number): number {
      return this === link ? sendOwn(agent, packet, now) : NOT_HANDLED;
    });
    this.links.set(link, sink);
    return link;
  }

  /** Opens a mapper's gossip endpoint on this bus (see transport/gossip.ts). */
  async openGossip(id: string, sink: GossipSink): Promise<GossipLink> {
    const link = this.requireBus().gossip.open(id, sink, () => this.reachable, () => this.links.delete(link));
    this.links.set(link, {});
    return link;
  }

  /**
   * Fault injection for tests: cuts this transport off the bus (a network partition) until
   * `heal()`. Links stay attached, so requests to its agents are neither delivered nor returned;
   * everything sent to or from it meanwhile is lost.
   */
  partition(): void {
    this.partitioned = true;
  }

  /** Ends a {@link MemoryTransport.partition}. */
  heal(): void {
    this.partitioned = false;
  }

  /**
   * Fault injection for tests: a lost connection, as when a broker restarts. Like
   * {@link MemoryTransport.partition}, everything sent to or from this transport is lost until
   * {@link MemoryTransport.reconnect}; unlike it, the links then learn that they are back.
   */
  disconnect(): void {
    this.disconnected = true;
  }

  /**
   * Ends a {@link MemoryTransport.disconnect}: every open link's sink gets `onReconnect` (agents
   * re-register, mappers re-advertise), as after a broker reconnect.
   */
  reconnect(): void {
    if (!this.disconnected) return;
    this.disconnected = false;
    for (const sink of [...this.links.values()]) queueMicrotask(() => sink.onReconnect?.());
  }

  private get reachable(): boolean {
    return !this.severed && !this.partitioned && !this.disconnected;
  }

  /**
   * Fault injection for tests: behaves as if the process holding this transport died. Its links
   * vanish from the bus without a goodbye (requests sent to its agents come back undeliverable) and
   * whatever they send from now on is lost. `close()` still releases it.
   */
  sever(): void {
    this.severed = true;
    for (const link of [...this.links.keys()]) void link.close();
  }

  async close(): Promise<void> {
    for (const link of [...this.links.keys()]) await link.close();
    if (this.bus) this.registry.release(this.bus);
    this.bus = undefined;
  }

  private requireBus(): MemoryBus {
    if (!this.bus) throw new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `${this.url} is not connected: call connect() first` });
    return this.bus;
  }
}
