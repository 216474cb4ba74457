/**
 * A health indicator for @nestjs/terminus. It returns terminus' `HealthIndicatorResult` shape
 * without importing terminus, so apps without it do not need it installed.
 */
import { Injectable } from '@nestjs/common';
import { NaniteRuntime } from './nanite.runtime';
import { invalidOption } from './nanite-options.check';

/** What the indicator reports next to `status`. */
export interface NaniteHealthDetails {
  [key: string]: unknown;
  /** The transport URL (credentials removed). */
  transport: string;
  /** The module's state: `ready` once connected. */
  state: string;
  /** Whether the transport says it is connected (transports that cannot tell report `null`). */
  connected: boolean | null;
  /** The app's agent identity and whether it is serving, or null when the app runs none. */
  agent: { identity: string; running: boolean; inFlight: number } | null;
  /** Live agents the mapper knows (null without a mapper). */
  agents: number | null;
  /** The broker node (`host:port`) the transport is connected to; null when disconnected or the transport has no nodes. */
  node: string | null;
  /**
   * Cluster nodes the transport last saw down while it is connected to another one (a partial
   * outage: the app still works, on fewer nodes). Empty when all are fine or there is one node.
   */
  nodesDown: string[];
  /** Set when down: why. */
  reason?: string;
}

/** Nodes a cluster-aware transport (amqp:// with several nodes) last saw down. */
function downNodes(transport: object): string[] {
  const nodes = (transport as { nodes?: unknown }).nodes;
  if (typeof nodes !== 'function') return [];
  const list: unknown = nodes.call(transport);
  if (!Array.isArray(list)) return [];
  return list.filter((n: { node?: unknown; state?: unknown }) => n.state === 'down' && typeof n.node === 'string').map((n: { node: string }) => n.node);
}

/** Terminus' result shape: `{ [key]: { status, ...details } }`. */
export type NaniteHealthResult<Key extends string = string> = Record<Key, NaniteHealthDetails & { status: 'up' | 'down' }>;

/** Options of {@link NaniteHealthIndicator.check}. */
export interface NaniteHealthOptions {
  /** Down when the mapper knows fewer live agents (serving `route`, when given). Default 0. */
  minAgents?: number;
  /** Count only agents serving this route. */
  route?: string;
}

/**
 * Up when the module is connected (agent serving, mapper running) and the mapper knows at least
 * `minAgents` agents; down with a `reason` otherwise. It never throws: invalid arguments (options
 * that are not an object, such as `null`; `minAgents` that is not a whole number >= 0; `route`
 * that is not a string) give a promise rejected with `NANITE_ERR_INVALID_ARGUMENT`, a mistake of
 * the caller's, not a state of the app (terminus answers 500 and Nest logs it).
 * Use it in a terminus health check:
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.nanite.check('nanite', { minAgents: 1 })]); }
 * ```
 */
@Injectable()
export class NaniteHealthIndicator {
  constructor(private readonly runtime: NaniteRuntime) {}

  check<const Key extends string = 'nanite'>(key: Key = 'nanite' as Key, options: NaniteHealthOptions = {}): Promise<NaniteHealthResult<Key>> {
    try {
      return Promise.resolve(this.result(key, options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private result<Key extends string>(key: Key, options: NaniteHealthOptions): NaniteHealthResult<Key> {
    if (typeof key !== 'string' || key === '') throw invalidOption('key', 'must be a non-empty string', key);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidOption('options', 'must be an object ({ minAgents?, route? }) or left out', options);
    const { minAgents, route } = options;
    if (minAgents !== undefined && (typeof minAgents !== 'number' || !Number.isSafeInteger(minAgents) || minAgents < 0)) throw invalidOption('minAgents', 'must be a whole number >= 0', minAgents);
    if (route !== undefined && typeof route !== 'string') throw invalidOption('route', 'must be a route string', route);
    const { agent, mapper, transport } = this.runtime;
    const connected = this.runtime.connected;
    const known = mapper ? (route ? mapper.agents().filter((a) => a.routes.includes(route)) : mapper.agents()).length : null;
    const details: NaniteHealthDetails = {
      transport: transport.url,
      state: this.runtime.state,
      connected,
      agent: agent ? { identity: agent.identity, running: agent.isRunning, inFlight: agent.inFlight } : null,
      agents: known,
      node: transport.node ?? null,
      nodesDown: connected ? downNodes(transport) : [],
    };
    const reason =
      this.runtime.state !== 'ready' ? `not connected (${this.runtime.state})`
      : connected === false ? 'transport disconnected'
      : agent && !agent.isRunning ? 'agent not running'
      : mapper && !mapper.isRunning ? 'mapper not running'
      : (known ?? 0) < (minAgents ?? 0) ? `${known ?? 0} agent(s) known, ${minAgents} wanted`
      : undefined;
    return { [key]: { ...details, status: reason ? 'down' : 'up', ...(reason ? { reason } : {}) } } as NaniteHealthResult<Key>;
  }
}
