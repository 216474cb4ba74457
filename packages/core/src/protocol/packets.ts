/**
 * Packet types of the Nanite protocol, version 1.
 *
 * Every packet carries `v` (protocol version) and `type`. Packets are plain JSON-compatible objects
 * so any serializer can carry them; {@link decodePacket} validates anything read off a transport.
 */
import type { SerializedError } from '../errors';
import type { ChunkPacket, CreditPacket, EndPacket } from './stream-packets';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 1 as const;

/** A route an agent serves and whether re-dispatching it is safe. */
export interface RouteInfo {
  route: string;
  /** Safe to run twice: a mapper may re-dispatch it when the agent is lost. */
  idempotent: boolean;
}

/** Agent → all mappers: "I am here and this is what I serve". */
export interface RegisterPacket {
  v: 1;
  type: 'register';
  identity: string;
  routes: RouteInfo[];
  tags: string[];
  status: number;
  /** Requests the agent runs at once. */
  concurrency: number;
  /** How often (ms) the agent pings: mappers reap it after missing a few. */
  pingInterval: number;
}

/** Agent → all mappers: periodic status. */
export interface PingPacket {
  v: 1;
  type: 'ping';
  identity: string;
  status: number;
  inFlight: number;
}

/** Agent → all mappers: clean goodbye. */
export interface UnRegisterPacket {
  v: 1;
  type: 'unregister';
  identity: string;
}

/** Mapper → agents: "(re-)register with me". Broadcast when a mapper starts, unicast on an unknown ping. */
export interface AdvertisePacket {
  v: 1;
  type: 'advertise';
  mapper: string;
}

/** Mapper → agent: run a route. `push` packets expect no reply. */
export interface RequestPacket {
  v: 1;
  type: 'request' | 'push';
  /** Unique per sending mapper. */
  id: number;
  route: string;
  payload: unknown;
  /** The mapper that expects the result. */
  replyTo: string;
  /** Milliseconds left before the caller gives up (0: no deadline). */
  timeout: number;
  /** How many actor-to-actor hops led here (0 for a request from outside). */
  hops: number;
  /** Correlates logs across a chain of calls. */
  traceId?: string;
  /**
   * When the sender sent it (its epoch ms). The agent counts the time spent queued at the broker
   * against `timeout` when `0 <= now - sentAt <= timeout`; otherwise (clock skew) it ignores it.
   */
  sentAt?: number;
  /**
   * Present when the caller reads the result as a stream (`mapper.stream()`): the chunks the agent
   * may send before it waits for a {@link CreditPacket} (see protocol/stream-packets.ts).
   */
  stream?: number;
  /** The caller sends its input as a stream of chunks after the request (see protocol/stream-packets.ts). */
  upload?: boolean;
}

/** Mapper → agent: the caller gave up on a request (its AbortSignal fired); abort the handler. */
export interface CancelPacket {
  v: 1;
  type: 'cancel';
  id: number;
  replyTo: string;
}

/** Agent → mapper: the outcome of a request. */
export interface ResultPacket {
  v: 1;
  type: 'result';
  id: number;
  from: string;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
}

/** Agent → mapper: a keyed intermediate value (Nanite's intermediate results). */
export interface ProgressPacket {
  v: 1;
  type: 'progress';
  id: number;
  from: string;
  key: string;
  value: unknown;
}

/** Packets agents broadcast to every mapper. */
export type HeartbeatPacket = RegisterPacket | PingPacket | UnRegisterPacket;
/** Packets addressed to one agent. */
export type AgentBoundPacket = RequestPacket | AdvertisePacket | CancelPacket | CreditPacket | ChunkPacket | EndPacket;
/** Packets addressed to one mapper. */
export type MapperBoundPacket = ResultPacket | ProgressPacket | ChunkPacket | CreditPacket | HeartbeatPacket;
/** What an agent replies to a mapper with. */
export type AgentReplyPacket = ResultPacket | ProgressPacket | ChunkPacket | CreditPacket;
/** Any packet. */
export type Packet = HeartbeatPacket | AgentBoundPacket | ResultPacket | ProgressPacket | ChunkPacket | CreditPacket;
/** Every packet type name. */
export type PacketType = Packet['type'];
