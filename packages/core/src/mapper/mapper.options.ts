/** Options of the mapper and of its requests. */
import type { Logger } from '../internal/logger';
import type { Observer } from '../observability/observer';
import type { SelectorOption } from '../selectors/resolve-selector';
import type { AgentView } from '../selectors/selector';
import type { SecurityOptions } from '../serializer/secure/secure.options';
import type { Transport } from '../transport/transport';
import type { SurveyStats } from './surveys';
import type { MapperFaultCounts } from './mapper-faults';
import type { RosterAgent, RosterOptions } from './roster/roster.options';

/** Defaults of {@link MapperOptions}. */
export const DEFAULT_MAPPER_OPTIONS = {
  timeout: 30_000,
  reapInterval: 1_000,
  maxHops: 8,
  drainTimeout: 10_000,
  persistentTtl: 60_000,
  discoveryWindow: 500,
  failoverWindow: 2_000,
  maxAgents: 10_000,
} as const;

/** Why an agent left dispatch. */
export type AgentDownReason = 'unregistered' | 'timeout' | 'transport' | 'removed';

/**
 * Events a mapper emits. Listeners run guarded: one that throws (or returns a rejected promise) is
 * counted in `stats.listenerFaults` and logged once; the mapper and the other listeners carry on.
 */
export interface MapperEvents {
  /** An agent registered (new to this mapper). */
  'agent:up': [agent: AgentView];
  /** A known agent re-registered or pinged with a new status. */
  'agent:update': [agent: AgentView];
  /** An agent left dispatch. */
  'agent:down': [agent: AgentView, reason: AgentDownReason];
  /** The failure detector suspects an agent (it gets no new work until it pings again). */
  'agent:suspect': [agent: RosterAgent];
  /** An agent was retired (`mapper.forget()` here or on another mapper). */
  'agent:removed': [agent: RosterAgent];
}

/** Counters a mapper keeps (since start). */
export interface MapperStats extends MapperFaultCounts, SurveyStats {
  /** Packets dropped because they failed validation. */
  malformed: number;
  /** Requests re-sent to another agent after their agent was unreachable or lost. */
  redispatched: number;
  /** Requests waiting for a result now. */
  pending: number;
  /** Pushes their agent handed back, waiting now (at most the failover window) for an agent to take them. */
  heldPushes: number;
  /** Agents in the registry now. */
  agents: number;
}

/** Options of {@link Mapper}. */
export interface MapperOptions {
  /** A transport URL (`memory://name`, `amqp://...`), owned and closed by the mapper, or a transport instance you close yourself. */
  transport: string | Transport;
  /**
   * Direct mode (docs/sp.md): send requests straight to agents that listen on an SP endpoint
   * (advertised in their Register), over pooled connections; agents without one, or whose
   * endpoint is unreachable, are reached over the transport as usual. Default false.
   */
  direct?: boolean;
  /** The mapper's address for results; generated when omitted. */
  identity?: string;
  /** Secure mode: certificate, key and trusted CA(s) (docs/security.md). The default identity is then bound to the certificate. */
  security?: SecurityOptions;
  /** Selector used when a request names none. Default `least_loaded`. */
  selector?: SelectorOption;
  /** Default request timeout (ms). Default 30 000. 0 disables the default deadline. */
  timeout?: number;
  /**
   * Drop an agent not heard from for this long (ms). Default: three of the agent's own ping
   * intervals, so agents with different intervals are judged fairly — or sooner, when the roster's
   * failure detector (on by default) judges it down. When set, the detector's verdict only takes the
   * agent out of dispatch; it is dropped (its in-flight work moved on) after this much silence.
   */
  agentTimeout?: number;
  /** How often the reaper looks for silent agents (ms). Default 1 000. */
  reapInterval?: number;
  /** Most actor-to-actor hops a request may take before `NANITE_ERR_HOP_LIMIT`. Default 8. */
  maxHops?: number;
  /** How long `close()` waits for the requests agents hold before failing them (ms); those waiting for an agent fail at once. Default 10 000. */
  drainTimeout?: number;
  /** How long an offline-failsafe request may wait for an agent (ms). Default 60 000. */
  persistentTtl?: number;
  /**
   * Right after start, and right after the mapper's link is attached again after a broker outage
   * (when it Advertises again), a request that finds no agent waits up to this long (ms) for agents
   * to answer the mapper's Advertise before failing with `NANITE_ERR_NO_AGENT`. Default 500.
   */
  discoveryWindow?: number;
  /**
   * A request moving off an agent it lost (the agent went, or handed it back) that finds no other
   * agent waits up to this long (ms, never past its deadline) for one to appear or come back before
   * failing with `NANITE_ERR_NO_AGENT`: an agent re-attaching after a broker node went, or taken out
   * of dispatch for a moment, gets the request instead of the caller getting an error. The agent it
   * was lost on is tried again only once it left dispatch and came back. A push handed back waits
   * the same way before it is dropped. 0: fail at once. Default 2 000.
   */
  failoverWindow?: number;
  /**
   * Most agents the registry holds. Registers from new identities past it are refused (counted in
   * `stats.refusedAgents`, logged once per burst), so a flood of forged Registers cannot grow
   * memory without bound. Default 10 000.
   */
  maxAgents?: number;
  /**
   * The roster of every agent ever registered (see docs/roster.md): its store, gossip and failure
   * detector. `false` turns it off (agents are then judged by `agentTimeout` alone). Default: on,
   * in memory.
   */
  roster?: RosterOptions | false;
  logger?: Logger;
  /** Observability adapters (metrics, tracing; see docs/observability.md). None: no hook runs. */
  observers?: readonly Observer[];
}

/** Called for each intermediate value a handler sends; a throw or a rejected promise is counted in `stats.listenerFaults`, never the request's failure. */
export type ProgressListener = (key: string, value: unknown, agent: string) => unknown;

/** Options of `mapper.push()`. */
export interface PushOptions {
  /** Selector for this request (default: the mapper's). `all` pushes to every agent. */
  selector?: SelectorOption;
  /** Send to this agent identity only. */
  target?: string;
  /** Only agents carrying every one of these tags. */
  tags?: readonly string[];
  /** With no live agent, park the request until one appears instead of failing (transport permitting). */
  persistent?: boolean;
  /**
   * Redelivery (byte transports): `at-most-once` never runs the request twice (a redelivered copy
   * is answered from the agent's reply cache), `ack-after-handler` may. Either way the agent
   * acknowledges it when its handler settles, inside the prefetch window. Default: the transport's.
   */
  delivery?: 'at-most-once' | 'ack-after-handler';
  /** Correlates logs across a chain of calls (`ctx.traceId`); default: the W3C trace id of the call chain. */
  traceId?: string;
  /** W3C trace context of the caller (`00-<trace id>-<span id>-<flags>`); nested calls and tracing observers set it. */
  traceparent?: string;
  /** Actor-to-actor hops so far (set by nested calls). */
  hops?: number;
}

/** Options of `mapper.request()`. */
export interface MapperRequestOptions extends PushOptions {
  /** Milliseconds before the request fails with `NANITE_ERR_TIMEOUT` and the handler is aborted. */
  timeout?: number;
  /** Absolute deadline (epoch ms); the earlier of `deadline` and `timeout` wins. */
  deadline?: number;
  /** Cancels the request (`NANITE_ERR_ABORTED`) and aborts the handler. */
  signal?: AbortSignal;
  /** Intermediate values from the handler, in order. */
  onProgress?: ProgressListener;
  /** Overrides the route's advertised idempotency for failover of this request. */
  idempotent?: boolean;
  /**
   * Sends this input as a stream of chunks (Buffers or JSON values; a Node `Readable`, an async
   * generator…) after the request; the handler reads it from `ctx.input`, and the source is read
   * only as fast as the handler reads (docs/streams.md). A payload that is itself such a stream is
   * sent the same way.
   */
  stream?: AsyncIterable<unknown>;
}

/** One agent's outcome in a fan-out. */
export type Outcome<R> = { ok: true; result: R } | { ok: false; error: import('../errors').NaniteError };

/** The result of a fan-out request: one outcome per agent identity. */
export type FanOut<R> = Record<string, Outcome<R>>;

/** A result together with the agent that produced it. */
export interface Reply<R> {
  result: R;
  agent: string;
  /** How many agents were tried (more than 1 after a failover). */
  attempts: number;
}
