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
  /** Routing tier, 1 (preferred) … 16, read by the `priority` selector. Absent: {@link DEFAULT_PRIORITY}. */
  priority?: number;
  status: number;
  /** Requests the agent runs at once. */
  concurrency: number;
  /** How often (ms) the agent pings: mappers reap it after missing a few. */
  pingInterval: number;
  /** The SP endpoint (`tcp://host:port` or `ipc:///path`) where the agent serves requests directly, when it listens (docs/sp.md). */
  endpoint?: string;
  /** The broker node (`host:port`) the agent is connected to, on transports that have nodes (a cluster). Optional. */
  node?: string;
  /** The agent was restarted on purpose after `nanite forget`: mappers admit its identity again. */
  rejoin?: boolean;
  /** The agent's software version (the `version` agent option), shown in the roster. At most {@link MAX_VERSION_LENGTH} characters. */
  version?: string;
}

/** Longest `version` a Register may carry. */
export const MAX_VERSION_LENGTH = 128;

/** Agent → all mappers: periodic status. */
export interface PingPacket {
  v: 1;
  type: 'ping';
  identity: string;
  status: number;
  inFlight: number;
  /** As in {@link RegisterPacket.node}: it changes when the agent moves to another broker node. Optional. */
  node?: string;
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
  /** Unicast only: the cluster removed this agent (`mapper.forget()`); it logs that and stops. */
  removed?: boolean;
  /**
   * With `removed`: the agent removed. An agent obeys only a removal naming it (secure mode: only a
   * signed one naming it), so a copy delivered to another agent stops nobody. Mappers of earlier
   * releases leave it out; a plain-mode agent then takes the removal as its own.
   */
  agent?: string;
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
  /** W3C trace context (`00-<trace id>-<parent span id>-<flags>`) of the caller. */
  traceparent?: string;
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
  /**
   * The agent's status as the reply left (same scale as a Ping's): mappers update their view at
   * once instead of waiting for the next Ping. Optional; older agents do not send it.
   */
  status?: number;
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

/** The routing tier of an agent that advertises none (the middle of 1 … 16). */
export const DEFAULT_PRIORITY = 8;

/**
 * Mapper → every agent (fanout): a survey. Agents serving `route` (and carrying every tag in
 * `tags`) run the route's handler and answer with an {@link AnswerPacket}; the others stay silent.
 */
export interface SurveyPacket {
  v: 1;
  type: 'survey';
  /** Unguessable per survey (answers are matched by it; anything else is dropped). */
  id: string;
  route: string;
  payload: unknown;
  /** The mapper collecting the answers. */
  replyTo: string;
  /** Milliseconds left before the survey ends (as in requests; `sentAt` counts queued time). */
  timeout: number;
  sentAt?: number;
  /** Only agents carrying every one of these tags answer. */
  tags?: string[];
}

/** Agent → mapper: one agent's answer to a survey. */
export interface AnswerPacket {
  v: 1;
  type: 'answer';
  id: string;
  from: string;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
}

/** Packets a mapper sends to every agent at once. */
export type AgentBroadcastPacket = AdvertisePacket | SurveyPacket;

/** Packets agents broadcast to every mapper. */
export type HeartbeatPacket = RegisterPacket | PingPacket | UnRegisterPacket;
/** Packets addressed to one agent. */
export type AgentBoundPacket = RequestPacket | AdvertisePacket | CancelPacket | SurveyPacket | CreditPacket | ChunkPacket | EndPacket;
/** Packets addressed to one mapper. */
export type MapperBoundPacket = ResultPacket | ProgressPacket | AnswerPacket | ChunkPacket | CreditPacket | HeartbeatPacket;
/** What an agent sends to one mapper: results, progress, survey answers, stream chunks and credit. */
export type ReplyPacket = ResultPacket | ProgressPacket | AnswerPacket | ChunkPacket | CreditPacket;
/** Another name for {@link ReplyPacket}. */
export type AgentReplyPacket = ReplyPacket;
/** Any packet. */
export type Packet = HeartbeatPacket | AgentBoundPacket | ResultPacket | ProgressPacket | AnswerPacket | ChunkPacket | CreditPacket;
/** Every packet type name. */
export type PacketType = Packet['type'];
