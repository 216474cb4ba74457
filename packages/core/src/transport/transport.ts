/**
 * The transport contract: moves packets between agents and mappers.
 *
 * Transports never interpret packets beyond addressing; what they hand over is `unknown` and is
 * validated by the receiving agent or mapper. Byte-level transports use a {@link Serializer}.
 * The contract suite `@nanite/core/testing` (src/testing/) runs against every implementation.
 */
import type { AgentBoundPacket, AgentBroadcastPacket, HeartbeatPacket, ReplyPacket, RequestPacket } from '../protocol/packets';

/** Acknowledges a delivered packet once it has been handled (ack-after-handler delivery). */
export type Settle = () => void;

/** What an agent gives the transport to receive its packets. */
export interface AgentSink {
  /** A request, push, cancel or advertise addressed to this agent (not yet validated). */
  onPacket(packet: unknown, settle: Settle): void;
  /** Bytes that could not even be deserialized. */
  onMalformed(reason: string): void;
  /** The link came back after an outage: the agent re-registers. */
  onReconnect?(): void;
  /**
   * In-process fast path (see transport/memory/local-calls.ts): a request from a mapper of this
   * process, handed over synchronously, already validated by the transport (a malformed one goes to
   * `onMalformed`). Transports without a fast path ignore it. `receivedAt`: the sender's fresh
   * `Date.now()`, or undefined when it did not read the clock (then the request was made just now).
   * Returns the time the agent read the clock during the call (epoch ms); 0 or nothing when it did not.
   */
  onLocalRequest?(packet: RequestPacket, settle: Settle, receivedAt: number | undefined): number | void;
}

/** What a verifying transport (secure mode) proved about who sent a packet; plain transports pass none. */
export interface VerifiedSender {
  /** Subject of the sender's certificate (`CN=fred, O=Acme`), whose signature was checked against the CA. */
  readonly subject: string;
}

/** What a mapper gives the transport to receive its packets. */
export interface MapperSink {
  /**
   * A heartbeat from any agent, or a result/progress addressed to this mapper (not yet validated).
   * `sender` comes only from a transport that verified the packet's signature (secure mode); a
   * packet's own fields never stand in for it.
   */
  onPacket(packet: unknown, sender?: VerifiedSender): void;
  /**
   * Optional gate a transport calls before it acts on a received packet's addressing (closing an
   * in-flight request on a result, noting an agent alive on a heartbeat): returns the packet to act
   * on and then hand to `onPacket`, or `undefined` to drop it (the sink counted it). Secure mode
   * verifies here, so a forged packet changes no transport state. An array is a verified bundle
   * (several results and progress in one message): each member is acted on and handed to
   * `onPacket` in order.
   */
  accept?(packet: unknown): unknown;
  /** Bytes that could not even be deserialized. */
  onMalformed(reason: string): void;
  /** A request could not reach its agent (no such agent, or it stopped consuming): re-dispatch it. */
  onUndeliverable(packet: RequestPacket, agent: string): void;
  /** The transport learned that an agent is gone (e.g. its consumer vanished) before heartbeats could tell. */
  onAgentGone?(agent: string): void;
  /** The link came back after an outage: the mapper re-advertises. */
  onReconnect?(): void;
  /** In-process fast path: a reply from an agent of this process, handed over synchronously and already validated (see {@link AgentSink.onLocalRequest}). */
  onLocalReply?(packet: ReplyPacket): void;
  /**
   * In-process fast path: a successful result of an agent of this process, handed over as the
   * parts of its packet (none is built) by the agent's own reply (transport/own-link.ts). A sink
   * without it gets the packet through `onLocalReply`.
   */
  onLocalResult?(from: string, id: number, result: unknown, status: number | undefined): void;
}

/** Options an agent opens its link with. */
export interface AgentLinkOptions {
  /** Most requests delivered but not yet settled (the agent's concurrency). */
  prefetch: number;
  /** The routes the agent serves: transports that park requests (offline failsafe) consume the parked ones of these routes. */
  routes?: readonly string[];
}

/** An agent's side of the transport. */
export interface AgentLink {
  /** Sends a heartbeat to every mapper. */
  broadcast(packet: HeartbeatPacket): void;
  /** Sends a result, progress, survey answer or stream chunk/credit to one mapper. */
  reply(mapper: string, packet: ReplyPacket): void;
  /**
   * Optional: results and progress made for one mapper in the same event-loop turn, to send as few
   * messages as routing allows (secure mode seals each such message once, see docs/security.md).
   * The transport splits `packets` into groups that take the same way to the mapper, keeping their
   * order, and sends for each group the one packet `seal(group)` returns (a result's re-send then
   * gets that message again); a group `seal` returns undefined for is not sent. Transports without
   * it get each packet through `reply`.
   */
  replyMany?(mapper: string, packets: readonly ReplyPacket[], seal: (group: readonly ReplyPacket[]) => ReplyPacket | undefined): void;
  /**
   * Optional: true while deliveries other than the one being answered are unsettled, so replies
   * of other requests may follow in the same turn. A wrapper that gathers a turn's replies (secure
   * mode's bundles) sends a result at once when this is false: nothing could join it.
   */
  busy?(): boolean;
  /**
   * The agent serves more routes than it opened the link with (an actor added after start):
   * transports that park requests (offline failsafe) start consuming the parked ones of these routes.
   */
  addRoutes?(routes: readonly string[]): Promise<void>;
  /**
   * Optional: true when a cancel can arrive before the request it names (amqp://: cancels take the
   * agent's control queue while the request may still wait at the broker). The agent then remembers
   * a cancel that found nothing, bounded, and answers its request `NANITE_ERR_ABORTED` unrun when it
   * comes (agent/early-cancels.ts). Declare it only where request ids are unguessable.
   */
  readonly cancelsMayOvertake?: boolean;
  /** Stops receiving requests (first step of a graceful drain); heartbeats and replies still flow. */
  pause(): Promise<void>;
  /** Releases everything the link holds. Idempotent. */
  close(): Promise<void>;
}

/** Per-send options of a request. */
export interface SendOptions {
  /** Survive a broker restart (AMQP delivery mode 2). */
  persistent?: boolean;
  /**
   * `at-most-once`: never run twice (a redelivered request is answered from the agent's reply cache,
   * a redelivered push dropped and counted); `ack-after-handler`: a redelivery runs again. Either
   * way the agent acknowledges a delivery when its handler settles, inside the prefetch window.
   * Transports without acknowledgements ignore it. Default: the transport's.
   */
  delivery?: 'at-most-once' | 'ack-after-handler';
  /** Milliseconds the request may wait in the transport before it is useless (0 / absent: no limit); networked transports expire it at the broker. */
  ttl?: number;
  /** The sender's fresh `Date.now()`: a transport that hands the request over synchronously passes it on as the time of receipt. */
  now?: number;
}

/** A mapper's side of the transport. */
export interface MapperLink {
  /** Sends a request, push, cancel or advertise to one agent; an unreachable agent is reported through {@link MapperSink.onUndeliverable}. */
  send(agent: string, packet: AgentBoundPacket, options?: SendOptions): void;
  /** Sends an advertise or a survey to every agent (agents that joined since included). */
  broadcast(packet: AgentBroadcastPacket): void;
  /**
   * Parks a request until an agent serving its route appears, for at most `ttl` ms (offline
   * failsafe). Transports that cannot park leave this undefined.
   */
  park?(packet: RequestPacket, ttl: number): void;
  /** Releases everything the link holds. Idempotent. */
  close(): Promise<void>;
  /**
   * True when no packet this link sends leaves this process (memory://): the mapper then numbers
   * its requests with a counter instead of unguessable random ids (see `LocalIdCounter`). A wrapper
   * of a link leaves it out unless it keeps that promise too.
   */
  readonly inProcess?: boolean;
}

/** A way for agents and mappers to reach each other. */
export interface Transport {
  /** The URL this transport was made from, credentials removed. */
  readonly url: string;
  /** Connects (idempotent). Rejects with a NaniteError on bad credentials or an unreachable broker when `failFast`. */
  connect(): Promise<void>;
  /** Opens an agent's link; `identity` is its address. */
  openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink>;
  /** Opens a mapper's link; `id` is its address for results. */
  openMapper(id: string, sink: MapperSink): Promise<MapperLink>;
  /** Closes every link and the connection. Idempotent. */
  close(): Promise<void>;
  /** False while a networked transport is (re)connecting; absent on transports that are always connected. */
  readonly isConnected?: boolean;
  /** The broker node (`host:port`) a networked transport is connected to now; absent when it has no such notion or is disconnected. */
  readonly node?: string | undefined;
  /** Subscribes to connection changes (`true` and the node connected to on every (re)connect, `false` on every loss); returns an unsubscribe function. */
  onConnectionChange?(listener: (connected: boolean, node?: string) => void): () => void;
}
