/**
 * Waiting for an agent: right after start (the discovery window, while the cluster answers the
 * mapper's Advertise), for an offline-failsafe request, or for a request moving off an agent it lost
 * (the failover window), never past the request's deadline.
 */
import type { NaniteError } from '../errors';
import { filterCandidates } from './candidates';
import { noAgentError } from './mapper-errors';
import type { Registry } from './registry';
import type { RegistryWaiters } from './registry-waiters';
import type { TriedAgents } from './tried-agents';

/** What {@link AgentWait} needs from its mapper. */
export interface AgentWaitContext {
  readonly registry: Registry;
  readonly waiters: RegistryWaiters;
  /** How long an offline-failsafe request may wait for an agent (ms). */
  readonly persistentTtl: number;
  /** How long a request moving to another agent may wait for one (ms). */
  readonly failoverWindow: number;
  /** Milliseconds left in the discovery window after start (<= 0 once it closed). */
  discoveryLeft(): number;
}

/** Milliseconds left before `deadline` (epoch ms; 0 = none, reported as Infinity). */
export function timeLeft(deadline: number): number {
  return deadline > 0 ? deadline - Date.now() : Infinity;
}

/** What a request is waiting for. */
export interface WaitFor {
  route: string;
  tags: readonly string[];
  target: string | undefined;
  /** Epoch ms by which the caller gives up (0: none). */
  deadline: number;
  tried?: TriedAgents;
}

/**
 * How a request that finds no agent waits: `fresh` only while the mapper discovers the cluster,
 * `persistent` (offline failsafe) up to `persistentTtl`, `failover` (moving off an agent it lost)
 * up to the failover window.
 */
export type NoAgentWait = 'fresh' | 'persistent' | 'failover';

/** Schedules retries for when an agent shows up. */
export class AgentWait {
  constructor(private readonly ctx: AgentWaitContext) {}

  /**
   * No candidate now: wait for one when the caller asked for offline failsafe, the request is moving
   * off an agent it lost (an agent taken out for a moment, or re-attaching elsewhere, is back within
   * the failover window), or the mapper is still discovering the cluster right after start;
   * otherwise fail at once. The wait ends at the request's deadline at the latest (then `retry`
   * runs, and finds the deadline gone).
   */
  whenNoAgent(w: WaitFor, how: NoAgentWait, retry: () => void, reject: (e: NaniteError) => void): void {
    const { registry } = this.ctx;
    const discovery = this.ctx.discoveryLeft();
    const fail = (): void => reject(noAgentError(w.route, registry.serving(w.route).length, w.tags, w.target, w.tried?.identities()));
    const window = how === 'persistent' ? this.ctx.persistentTtl : how === 'failover' ? Math.max(this.ctx.failoverWindow, discovery) : discovery;
    if (window <= 0) {
      fail();
      return;
    }
    this.ctx.waiters.wait(
      () => filterCandidates(registry.serving(w.route), w.tags, w.target, w.tried).length > 0,
      Math.min(window, timeLeft(w.deadline)),
      retry,
      // The mapper closed: its error. Timed out: at the deadline `retry` reports NANITE_ERR_TIMEOUT; otherwise (window over) no agent.
      (closed) => (closed ? reject(closed) : timeLeft(w.deadline) <= 0 ? retry() : fail()),
    );
  }

  /** True while the discovery window after start is open. */
  discovering(): boolean {
    return this.ctx.discoveryLeft() > 0;
  }

  /**
   * Schedules `then` for when the discovery window closes (or the deadline passes, if sooner) and
   * returns true; false (nothing scheduled) once the window has closed.
   */
  afterDiscovery(deadline: number, then: () => void): boolean {
    const left = this.ctx.discoveryLeft();
    if (left <= 0) return false;
    // A waiter that is never "ready": it ends (runs `then`) when the window closes, or when the mapper closes.
    this.ctx.waiters.wait(() => false, Math.min(left, timeLeft(deadline)), () => undefined, then);
    return true;
  }
}
