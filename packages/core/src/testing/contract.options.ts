/**
 * What a transport author hands to {@link describeTransportContract}: a way to make transports that
 * reach each other, what the transport can do, and (optionally) the test runner's functions.
 */
import { NaniteError } from '../errors';
import type { Serializer } from '../serializer/serializer';
import type { Transport } from '../transport/transport';

/**
 * The four functions the suite needs from a test runner. Jest, Vitest, Mocha and `node:test` all
 * provide them with these shapes; the suite asserts with `node:assert`, so it needs no `expect`.
 */
export interface ContractTestApi {
  describe(name: string, fn: () => void): void;
  /** `timeout` is passed only when {@link TransportContractOptions.timeout} is set (Jest and Vitest read a third argument as ms). */
  it(name: string, fn: () => Promise<void>, timeout?: number): void;
  beforeEach(fn: () => Promise<void> | void): void;
  afterEach(fn: () => Promise<void> | void): void;
}

/**
 * What the transport guarantees beyond the core contract. Every field must be given: a capability
 * the transport lacks is declared `false`, and its cases are then not defined at all (the suite's
 * title lists them), rather than defined and skipped.
 */
export interface TransportCapabilities {
  /**
   * An agent link holds at most `prefetch` requests delivered and not yet settled, whatever the
   * per-request `delivery`; the rest wait in the transport and are let in one per settle. When the
   * link pauses, the requests still waiting are handed back to their mappers (`onUndeliverable`);
   * those already delivered stay with the agent, which may settle them.
   */
  prefetch: boolean;
  /** `SendOptions.ttl` is honoured: a request that waited undelivered longer than its ttl is never delivered. Needs `prefetch` to be observable. */
  ttl: boolean;
  /**
   * A request delivered to an agent link that closes without settling it is reported to its mapper
   * within `patience`: `onAgentGone(agent)` or `onUndeliverable(packet, agent)`.
   */
  agentGone: boolean;
  /**
   * Closing the transport of a running agent (its connection gone) is told to the mappers of its
   * requests within `patience`, so a stream it was sending fails with `NANITE_ERR_AGENT_LOST`.
   * Optional; defaults to {@link TransportCapabilities.agentGone}.
   */
  agentLost?: boolean;
  /** `MapperLink.park` exists: a parked request reaches an agent serving its route that appears later. */
  park: boolean;
  /** The transport recovers from {@link ContractCluster.interrupt}: both sinks get `onReconnect`, then packets flow again. */
  reconnect: boolean;
  /** The transport moves bytes through the {@link Serializer} given to {@link ContractCluster.transport}; undecodable bytes reach `onMalformed`. */
  serializer: boolean;
}

/** Per-transport options the suite may ask {@link ContractCluster.transport} for. */
export interface ContractTransportOptions {
  /** Use this serializer (asked only when {@link TransportCapabilities.serializer} is true). */
  serializer?: Serializer;
}

/**
 * A group of transports that reach each other and nothing else (e.g. one memory bus, or one
 * amqp:// prefix). The suite makes a fresh cluster for every case.
 */
export interface ContractCluster<T extends Transport = Transport> {
  /** A new, not yet connected transport of this cluster. */
  transport(options?: ContractTransportOptions): T | Promise<T>;
  /**
   * Cuts the connection of `transport` the way an outage would (broker restart, dropped socket);
   * the transport must reconnect on its own. Required when {@link TransportCapabilities.reconnect}.
   */
  interrupt?(transport: T): Promise<void> | void;
  /** Releases what the cluster holds (called after the case closed its transports). */
  close?(): Promise<void> | void;
}

/** Options of {@link describeTransportContract}. */
export interface TransportContractOptions<T extends Transport = Transport> {
  /** Shown in the suite's title, e.g. `amqp://`. */
  name: string;
  /** Makes the isolated cluster of one case. */
  cluster(): ContractCluster<T>;
  capabilities: TransportCapabilities;
  /** How long to wait for something that should happen (ms). Default 2 000. */
  patience?: number;
  /** How long to watch for something that must not happen (ms). Default 200. */
  quiet?: number;
  /** Per-case timeout handed to the runner (ms); default: the runner's own. */
  timeout?: number;
  /** The runner's functions; default: the globals `describe`, `it`, `beforeEach`, `afterEach` (Jest, Vitest with `globals: true`, Mocha). */
  test?: ContractTestApi;
}

/** {@link TransportContractOptions} with defaults applied. */
export interface ResolvedContractOptions<T extends Transport = Transport> extends Required<Omit<TransportContractOptions<T>, 'timeout'>> {
  timeout: number | undefined;
}

/** Applies defaults and checks that the runner's functions are there. */
export function resolveContractOptions<T extends Transport>(options: TransportContractOptions<T>): ResolvedContractOptions<T> {
  return {
    name: options.name,
    cluster: options.cluster,
    capabilities: options.capabilities,
    patience: options.patience ?? 2_000,
    quiet: options.quiet ?? 200,
    timeout: options.timeout,
    test: options.test ?? globalTestApi(),
  };
}

function globalTestApi(): ContractTestApi {
  const g = globalThis as Partial<Record<keyof ContractTestApi, unknown>>;
  const missing = (['describe', 'it', 'beforeEach', 'afterEach'] as const).filter((k) => typeof g[k] !== 'function');
  if (missing.length > 0) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
      message: `describeTransportContract: no global ${missing.join(', ')}; pass { test: { describe, it, beforeEach, afterEach } } from your runner (e.g. import them from 'vitest' or 'node:test')`,
    });
  }
  return g as ContractTestApi;
}
