/**
 * The hooks agents and mappers call for observability. Core emits; adapters (Prometheus metrics,
 * OpenTelemetry tracing, or your own) listen. With no observer configured nothing here runs: the
 * agent and mapper hold `undefined` and skip every hook with one check.
 */
import type { AgentStats } from '../agent/agent';
import type { NaniteError } from '../errors';
import type { MapperStats } from '../mapper/mapper.options';
import type { Logger } from '../internal/logger';
import type { Transport } from '../transport/transport';

/** One request (or push) as a mapper sends it; `end` is called exactly once when it settles. */
export interface RequestScope {
  /** W3C `traceparent` to send with the request (a tracing observer sets it). */
  readonly traceparent?: string | undefined;
  /** The request settled: `error` is undefined on success (a push: once sent). */
  end(error: NaniteError | undefined): void;
}

/** What a mapper tells its observers when a request starts. */
export interface RequestStart {
  readonly route: string;
  readonly kind: 'request' | 'push';
  /** The caller's trace context, when the call is nested in a handler or the caller gave one. */
  readonly traceparent: string | undefined;
}

/** An observer's hold on one mapper. */
export interface MapperObservation {
  /** A request enters the mapper (before validation). */
  begin(start: RequestStart): RequestScope | undefined;
  /** The mapper closed. */
  close(): void;
}

/** One handler invocation on an agent; `end` is called exactly once when its outcome is known. */
export interface JobScope {
  /** W3C `traceparent` of the handler's span: nested calls made by the handler carry it. */
  readonly traceparent?: string | undefined;
  /** Runs the handler (inside the span's context, for a tracing observer). */
  run?<T>(fn: () => T): T;
  end(error: NaniteError | undefined): void;
}

/** What an agent tells its observers when a handler starts. */
export interface JobStart {
  readonly route: string;
  readonly kind: 'request' | 'push';
  readonly requestId: string;
  /** The `traceparent` the request arrived with. */
  readonly traceparent: string | undefined;
  readonly hops: number;
  /** Milliseconds the request waited in the agent for a free slot. */
  readonly queuedMs: number;
}

/** An observer's hold on one agent. */
export interface AgentObservation {
  begin(start: JobStart): JobScope | undefined;
  /** The agent stopped. */
  close(): void;
}

/** A live agent as a mapper knows it, read when metrics are scraped. */
export interface AgentSample {
  readonly identity: string;
  readonly inFlight: number;
  readonly pending: number;
  readonly concurrency: number;
  readonly status: number;
  readonly suspended: boolean;
}

/** What a mapper shows its observers (read on demand, e.g. at scrape time). */
export interface MapperSource {
  readonly identity: string;
  readonly transport: Transport;
  readonly logger: Logger;
  /** The counters of `mapper.stats`. */
  stats(): MapperStats;
  agents(): Iterable<AgentSample>;
  /**
   * Agents of the mapper's roster by state (`joining`, `up`, `suspect`, `down`, `removed`,
   * `unknown-since-restart`); undefined when the mapper runs without a roster.
   */
  rosterStates?(): ReadonlyMap<string, number> | undefined;
  /** Dropped packets by kind (see `malformedKind`). */
  malformed(): ReadonlyMap<string, number>;
}

/** What an agent shows its observers (read on demand). */
export interface AgentSource {
  readonly identity: string;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly maxQueued: number;
  /** The counters of `agent.stats`. */
  stats(): AgentStats;
  inFlight(): number;
  queued(): number;
  malformed(): ReadonlyMap<string, number>;
}

/**
 * An observability adapter: `observeMapper` / `observeAgent` are called once per mapper or agent
 * it is given to (`new Mapper({ observers: [metrics, tracing] })`).
 */
export interface Observer {
  observeMapper?(source: MapperSource): MapperObservation | undefined;
  observeAgent?(source: AgentSource): AgentObservation | undefined;
}
