/**
 * A mapper's link in direct mode: requests, pushes and cancels go straight to an agent's SP
 * endpoint over a pooled connection (one MUX pipe per agent, dialed when the agent's Register
 * names its endpoint); everything else, and everything for an agent whose pipe is not up, takes
 * the control-plane link. A pipe that goes down tells the mapper the agent is gone, which moves
 * its idempotent requests elsewhere (the same path as a broker-detected loss).
 */
import { BurstLog } from '../../internal/burst-log';
import { defaultLogger, type Logger } from '../../internal/logger';
import { decodePacket } from '../../protocol/decode';
import type { AdvertisePacket, AgentBoundPacket, RequestPacket } from '../../protocol/packets';
import type { Serializer } from '../../serializer/serializer';
import { SpMuxSocket } from '../sp/sp-mux.socket';
import { parseSpUrl } from '../sp/sp-url';
import type { MapperLink, MapperSink, SendOptions } from '../transport';
import { binaryChunkParts, fromBinaryChunk, pinnedStreamParts } from './direct-chunks';
import { DIRECT_KIND, KIND_BYTES } from './direct.options';
import { isStreamRequest, StreamPins } from './stream-pins';

/** Agents a mapper keeps direct connections to, at most (the rest are reached over the control plane). */
const MAX_PEERS = 10_000;
/**
 * How long the pipe of an agent that unregistered is kept for what it still sends (ms): the agent
 * closes it once its link closes; this bounds the wait when it does not (an UnRegister someone else
 * sent). The mapper itself waits at most as long for that agent's last results (heartbeats.ts).
 */
const RETIRED_PIPE_MAX = 30_000;
/** Pipes of unregistered agents kept at once, at most (they count against {@link MAX_PEERS} too); past it the oldest is closed. */
const MAX_RETIRED = 1_024;

interface Peer {
  readonly agent: string;
  readonly url: string;
  readonly socket: SpMuxSocket;
  /** The ready pipe, while there is one. */
  pipe: number | undefined;
}

/** Counters of a direct mapper link. */
export interface DirectMapperStats {
  /** Agents with a direct connection (up or being dialed). */
  peers: number;
  /** Packets sent over SP. */
  sentDirect: number;
  /** Packets that took the control plane. */
  sentFallback: number;
  /** Direct pipes that went down while the agent was registered (each reported as the agent gone). */
  lostPipes: number;
  /** Streams running over a pipe (their chunks, credit and end stay on it). */
  streams: number;
  /** Pipes of agents that unregistered, still read for what they sent before (closed by the agent, or after 30 s). */
  retiredPipes: number;
  /** Of those, closed early because too many were kept (a flood of Register/UnRegister). */
  retiredEvicted: number;
}

/** What the link needs to know. */
export interface DirectMapperConfig {
  serializer: Serializer;
  maxMessageSize: number;
  logger?: Logger;
  /** @internal Pipes of unregistered agents kept at once (default {@link MAX_RETIRED}). */
  maxRetired?: number;
}

/** The mapper side of direct mode. */
export class DirectMapperLink implements MapperLink {
  /** The sink to open the control-plane link with: it lets this link see Registers go by. */
  readonly sink: MapperSink;
  park?: MapperLink['park'];
  private inner: MapperLink | undefined;
  private readonly peers = new Map<string, Peer>();
  /**
   * Pipes of agents that unregistered, kept open (nothing new is sent on them) for the results and
   * stream packets still on their way: an UnRegister takes the control plane and overtakes them.
   */
  private readonly retired = new Map<Peer, NodeJS.Timeout>();
  /** Sockets of agents forgotten or released, being closed (they may linger up to their linger time): {@link close} waits for them. */
  private readonly closing = new Set<Promise<void>>();
  /** Stream requests sent over a pipe, by id: the rest of each stream follows on the same pipe. */
  private readonly streams = new StreamPins<number, Peer>();
  private readonly logger: Logger;
  private readonly overflow: BurstLog<'peers'>;
  private readonly counts = { sentDirect: 0, sentFallback: 0, lostPipes: 0, retiredEvicted: 0 };
  private readonly retiredFull: BurstLog;
  private closed = false;

  constructor(
    private readonly identity: string,
    private readonly outer: MapperSink,
    private readonly o: DirectMapperConfig,
  ) {
    this.logger = o.logger ?? defaultLogger('nanite-direct');
    this.overflow = new BurstLog({ logger: this.logger, bindings: { mapper: identity }, quietMs: 10_000, message: 'more agents than a mapper keeps direct connections to; the rest are reached over the control plane' });
    this.retiredFull = new BurstLog({ logger: this.logger, bindings: { mapper: identity }, quietMs: 10_000, message: 'more pipes of unregistered agents than a mapper keeps open for their last replies: closing the oldest (a flood of Register/UnRegister?)' });
    this.sink = {
      onPacket: (packet, sender) => {
        this.observe(packet);
        this.ended(packet);
        outer.onPacket(packet, sender);
      },
      // Secure mode's verify-first gate: the control plane asks it before acting on addressing, and
      // this link then observes (endpoints from Registers) only packets that passed it.
      ...(outer.accept ? { accept: (packet: unknown) => outer.accept!(packet) } : {}),
      onMalformed: (reason) => outer.onMalformed(reason),
      onUndeliverable: (packet, agent) => outer.onUndeliverable(packet, agent),
      onAgentGone: (agent) => {
        this.forget(agent);
        outer.onAgentGone?.(agent);
      },
      onReconnect: () => outer.onReconnect?.(),
    };
  }

  /** Takes the control-plane link opened with {@link DirectMapperLink.sink}. */
  attach(inner: MapperLink): void {
    this.inner = inner;
    if (inner.park) this.park = (packet, ttl) => inner.park!(packet, ttl);
  }

  /** Counters (a snapshot). */
  stats(): DirectMapperStats {
    return { peers: this.peers.size, ...this.counts, streams: this.streams.size, retiredPipes: this.retired.size };
  }

  send(agent: string, packet: AgentBoundPacket, options?: SendOptions): void {
    if (packet.type === 'chunk' || packet.type === 'end' || packet.type === 'credit') {
      if (this.sendStreamPacket(agent, packet)) return;
    } else {
      const peer = this.peers.get(agent);
      if (peer?.pipe !== undefined && packet.type !== 'advertise' && options?.persistent !== true && this.sendDirect(peer, packet)) return;
    }
    this.counts.sentFallback++;
    this.control().send(agent, packet, options);
  }

  /** Sends a request, push or cancel over the peer's pipe; false when it must take the control plane. */
  private sendDirect(peer: Peer, packet: AgentBoundPacket): boolean {
    const stream = packet.type === 'request' && isStreamRequest(packet) ? packet.id : undefined;
    // No room to remember the stream's path: its packets would not know which one to take.
    if (stream !== undefined && !this.streams.pin(stream, peer)) return false;
    const bytes = this.o.serializer.encode(packet);
    if (bytes.length < this.o.maxMessageSize && peer.socket.send(peer.pipe!, [KIND_BYTES.packet, bytes])) {
      this.counts.sentDirect++;
      return true;
    }
    if (stream !== undefined) this.streams.unpin(stream);
    return false;
  }

  /**
   * A stream's chunk, end or credit takes the path its request took: its pipe, never diverted by
   * lag (the credit window bounds it), or the control plane. False when it must take the control plane.
   */
  private sendStreamPacket(agent: string, packet: AgentBoundPacket & { id: number }): boolean {
    const peer = this.streams.get(packet.id);
    if (!peer || peer.agent !== agent || peer.pipe === undefined) return false;
    const parts = (packet.type === 'chunk' ? binaryChunkParts(packet) : undefined) ?? [KIND_BYTES.packet, this.o.serializer.encode(packet)];
    const sent = peer.socket.send(peer.pipe, pinnedStreamParts(parts, this.o.maxMessageSize, `${packet.type} of a stream`), false);
    if (sent) this.counts.sentDirect++;
    return sent;
  }

  broadcast(packet: AdvertisePacket): void {
    this.control().broadcast(packet);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sockets = [...this.peers.values(), ...this.retired.keys()].map((p) => p.socket.close());
    for (const timer of this.retired.values()) clearTimeout(timer);
    this.retired.clear();
    this.peers.clear();
    this.streams.clear();
    // And the sockets of agents forgotten or released lately, still lingering: close() resolves once every one is closed.
    await Promise.all([...sockets, ...this.closing]);
    await this.inner?.close();
  }

  private control(): MapperLink {
    if (!this.inner) throw new Error('DirectMapperLink used before attach()');
    return this.inner;
  }

  /** Registers name endpoints; UnRegisters end them. Only addressing fields are read here; the mapper validates the rest. */
  private observe(packet: unknown): void {
    if (typeof packet !== 'object' || packet === null) return;
    const p = packet as { type?: unknown; identity?: unknown; endpoint?: unknown };
    if (p.type === 'register' && typeof p.identity === 'string') this.learn(p.identity, typeof p.endpoint === 'string' ? p.endpoint : undefined);
    else if (p.type === 'unregister' && typeof p.identity === 'string') this.retire(p.identity);
  }

  private learn(agent: string, url: string | undefined): void {
    const known = this.peers.get(agent);
    if (known && known.url === url) return;
    if (known) this.forget(agent);
    if (url === undefined || this.closed) return;
    try {
      parseSpUrl(url);
    } catch {
      return; // not an SP URL: this agent is reached over the control plane
    }
    if (this.peers.size + this.retired.size >= MAX_PEERS) {
      this.overflow.record({ peers: this.peers.size, retired: this.retired.size }, 'peers');
      return;
    }
    const socket = new SpMuxSocket({ maxMessageSize: this.o.maxMessageSize, logger: this.logger, name: `mapper ${this.identity} -> ${agent}` });
    const peer: Peer = { agent, url, socket, pipe: undefined };
    socket.serve((_pipe, body) => this.onMessage(peer, body));
    socket.onPipe((event, pipe) => {
      if (event === 'up') peer.pipe = pipe.id;
      else if (this.retired.has(peer)) this.release(peer);
      else this.lost(peer);
    });
    this.peers.set(agent, peer);
    socket.dial(url);
  }

  private forget(agent: string): void {
    const peer = this.peers.get(agent);
    if (!peer) return;
    this.peers.delete(agent);
    this.streams.unpinPipe(peer);
    peer.pipe = undefined;
    this.dispose(peer.socket);
  }

  /** Closes a socket no longer used, keeping its closing until done so that {@link close} waits for it. */
  private dispose(socket: SpMuxSocket): void {
    const done: Promise<void> = socket.close().catch(() => undefined).finally(() => this.closing.delete(done));
    this.closing.add(done);
  }

  /**
   * The agent unregistered: nothing more goes to it directly, but its pipe stays open for what it
   * sent before (results, progress, the rest of a stream) until it closes the pipe, which it does when
   * its link closes (then no redial), or for {@link RETIRED_PIPE_MAX} at most.
   */
  private retire(agent: string): void {
    const peer = this.peers.get(agent);
    if (!peer) return;
    this.peers.delete(agent);
    if (peer.pipe === undefined || this.closed) {
      this.streams.unpinPipe(peer);
      this.dispose(peer.socket);
      return;
    }
    // Bounded: a forged Register and UnRegister, again and again, must not hold connections open.
    const max = this.o.maxRetired ?? MAX_RETIRED;
    if (this.retired.size >= max) {
      this.counts.retiredEvicted++;
      this.retiredFull.record({ kept: max });
      this.release(this.retired.keys().next().value!);
    }
    const timer = setTimeout(() => this.release(peer), RETIRED_PIPE_MAX);
    timer.unref();
    this.retired.set(peer, timer);
  }

  /** A retired peer's pipe went down, or it was kept long enough: closed, and never dialed again. */
  private release(peer: Peer): void {
    const timer = this.retired.get(peer);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.retired.delete(peer);
    this.streams.unpinPipe(peer);
    peer.pipe = undefined;
    this.dispose(peer.socket);
  }

  /** The pipe to a registered agent went down: the agent died or dropped us; either way its work must move. */
  private lost(peer: Peer): void {
    if (this.closed || this.peers.get(peer.agent) !== peer) return;
    this.counts.lostPipes++;
    this.forget(peer.agent);
    this.outer.onAgentGone?.(peer.agent);
  }

  /** A result from the agent running a stream ends it (one from anyone else leaves it pinned). */
  private ended(packet: unknown): void {
    if (this.streams.size === 0 || typeof packet !== 'object' || packet === null) return;
    const p = packet as { type?: unknown; id?: unknown; from?: unknown };
    if (p.type !== 'result' || typeof p.id !== 'number') return;
    if (this.streams.get(p.id)?.agent === p.from) this.streams.unpin(p.id);
  }

  private onMessage(peer: Peer, body: Buffer): void {
    const kind = body.length > 0 ? body[0] : -1;
    if (kind === DIRECT_KIND.chunk) {
      const chunk = fromBinaryChunk(body);
      if (!chunk.ok) return this.outer.onMalformed(`${chunk.reason} from ${peer.agent}`);
      // A pipe belongs to one agent: a chunk claiming another sender is forged.
      if ((chunk.packet as { from?: unknown }).from !== peer.agent) return this.outer.onMalformed(`direct: a chunk from ${peer.agent} claiming another sender`);
      this.outer.onPacket(chunk.packet);
      return;
    }
    if (kind !== DIRECT_KIND.packet && kind !== DIRECT_KIND.bounced) return this.outer.onMalformed(`direct: unknown message kind from ${peer.agent}`);
    let packet: unknown;
    try {
      packet = this.o.serializer.decode(body.subarray(1));
    } catch (err) {
      return this.outer.onMalformed(`direct: undecodable packet from ${peer.agent} (${err instanceof Error ? err.message : String(err)})`);
    }
    if (kind === DIRECT_KIND.packet) {
      // Only replies travel this way (results, progress, stream chunks and upload credit); heartbeats must come over the control plane.
      const type = typeof packet === 'object' && packet !== null ? (packet as { type?: unknown }).type : undefined;
      if (type !== 'result' && type !== 'progress' && type !== 'chunk' && type !== 'credit') return this.outer.onMalformed(`direct: a ${String(type)} packet from ${peer.agent}`);
      // A pipe belongs to one agent: a reply claiming another sender is forged (the dispatcher would believe its identity).
      if ((packet as { from?: unknown }).from !== peer.agent) return this.outer.onMalformed(`direct: a ${type} from ${peer.agent} claiming another sender`);
      this.ended(packet);
      this.outer.onPacket(packet);
      return;
    }
    const decoded = decodePacket(packet);
    if (decoded.ok && (decoded.packet.type === 'request' || decoded.packet.type === 'push')) {
      // Handed back unrun: its stream never started.
      if (this.streams.get(decoded.packet.id) === peer) this.streams.unpin(decoded.packet.id);
      this.outer.onUndeliverable(decoded.packet as RequestPacket, peer.agent);
    } else this.outer.onMalformed(`direct: a bounced message from ${peer.agent} that is not a request`);
  }
}
