/** The selector plug-in point: picks agents for a request among the candidates. */

/** What a selector (and `mapper.agents()`) sees of an agent. */
export interface AgentView {
  readonly identity: string;
  /** Routes the agent serves. */
  readonly routes: readonly string[];
  readonly tags: readonly string[];
  /** The agent's last reported status (lower is less loaded). */
  readonly status: number;
  /** Handlers running on the agent at its last ping. */
  readonly inFlight: number;
  readonly concurrency: number;
  /** Routing tier the agent advertised, 1 (preferred) … 16 (see the `priority` selector). */
  readonly priority: number;
  /** The agent's heartbeat period (ms). */
  readonly pingInterval: number;
  /** When this mapper last heard from the agent (epoch ms). */
  readonly lastSeen: number;
  /** Requests this mapper has sent the agent that have not completed yet. */
  readonly pending: number;
  /** `status + pending / concurrency`: the reported load plus what this mapper sent since. */
  readonly load: number;
  /** The broker node (`host:port`) the agent last said it is connected to (clusters); undefined when it did not say. */
  readonly node?: string | undefined;
  /** The SP endpoint (`tcp://…`, `ipc://…`) the agent serves requests on directly, when it listens (docs/sp.md). */
  readonly endpoint?: string | undefined;
  /** The software version the agent advertised (its `version` option), when it did. */
  readonly version?: string | undefined;
  /** The subject of the certificate that signed the agent's Register, when the mapper runs in secure mode (verified, never read from the packet). */
  readonly subject?: string | undefined;
  /**
   * This mapper's peak-EWMA of the agent's response time (ms, request sent → result received),
   * decayed toward 0 while no result arrives; 0 before the first result. Read by the latency-aware
   * least_loaded. Optional so views built by hand (tests, custom code) need not carry it.
   */
  readonly latency?: number;
}

/** What a selector knows of the request. */
export interface RequestInfo {
  readonly route: string;
  readonly payload: unknown;
  readonly tags: readonly string[];
  readonly target: string | undefined;
}

/**
 * Picks agents. Candidates already serve the route and carry the requested tags. Return them in
 * order of preference: a single request goes to the first; fan-out selectors return every agent
 * that should get the request. An empty result means "no agent".
 */
export interface Selector {
  select(candidates: readonly AgentView[], request: RequestInfo): readonly AgentView[];
  /** When true, the request goes to every selected agent and gathers one result per agent. */
  readonly fanOut?: boolean;
}

/** A selector written as a function; may return one agent, several, or none. */
export type SelectorFunction = (candidates: readonly AgentView[], request: RequestInfo) => AgentView | readonly AgentView[] | undefined;

/** The built-in selectors. */
export type SelectorName = 'least_loaded' | 'random' | 'round_robin' | 'all' | 'target' | 'priority';
