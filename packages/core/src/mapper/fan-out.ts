/** The fan-out path of a mapper's dispatcher: one leg per agent the selector picks, one outcome per agent. */
import { NaniteError } from '../errors';
import type { RequestInfo, Selector } from '../selectors/selector';
import { timeLeft, type AgentWait } from './agent-wait';
import { filterCandidates } from './candidates';
import type { Dispatch } from './dispatch.types';
import { abortedError, choseNoneError, shuttingDownError } from './mapper-errors';
import type { FanOut } from './mapper.options';
import type { PendingCallbacks } from './pending-request';
import type { FanOutSink } from './request-reply';
import type { AgentRecord, Registry } from './registry';

/** What a fan-out needs from its dispatcher. */
export interface FanOutContext {
  readonly identity: string;
  readonly registry: Registry;
  readonly wait: AgentWait;
  isRunning(): boolean;
  /** Runs a selector; a NaniteError (already counted) when it misbehaved. */
  pick(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo, all: boolean): AgentRecord[] | NaniteError;
  /** Sends one leg (no failover) to `agent` with `timeout` ms, settling through `cb`. */
  leg(d: Dispatch, agent: AgentRecord, timeout: number, cb: PendingCallbacks): void;
  /** Counts a request whose deadline passed before it was sent, and returns its error. */
  expiredBeforeSend(route: string, timeout: number, agent: string | undefined): NaniteError;
}

/**
 * A request to every agent the selector picks, gathering one outcome per agent identity. Every
 * choice is validated before any leg is sent.
 */
export function fanOut(ctx: FanOutContext, d: Dispatch, cb: PendingCallbacks, done: FanOutSink): void {
  const { route, payload, options, selector, tags } = d;
  const left = timeLeft(d.deadline);
  if (left <= 0) {
    cb.reject(ctx.expiredBeforeSend(route, d.timeout, undefined));
    return;
  }
  if (options.signal?.aborted === true) {
    cb.reject(abortedError(options.signal));
    return;
  }
  // Right after start, wait out the discovery window: a fan-out must reach every agent, not the first to answer.
  if (ctx.wait.discovering()) {
    const ended = whileWaiting(options.signal, cb, () => (ctx.isRunning() ? fanOut(ctx, d, cb, done) : cb.reject(shuttingDownError(ctx.identity))));
    if (ctx.wait.afterDiscovery(d.deadline, ended)) return;
    ended.drop(); // the window closed in between: go on now
  }
  const candidates = filterCandidates(ctx.registry.serving(route), tags, options.target, undefined);
  const agents = candidates.length ? ctx.pick(selector, candidates, { route, payload, tags, target: options.target }, true) : [];
  if (agents instanceof NaniteError) {
    cb.reject(agents);
    return;
  }
  if (agents.length === 0 && candidates.length !== 0) {
    cb.reject(choseNoneError(route, candidates.length, tags, options.target));
    return;
  }
  if (agents.length === 0) {
    let failed: NaniteError | undefined;
    const ended = whileWaiting(options.signal, cb, () => (failed ? cb.reject(failed) : fanOut(ctx, { ...d, options: { ...options, persistent: false } }, cb, done)));
    const fail = (err: NaniteError): void => {
      failed = err;
      ended();
    };
    ctx.wait.whenNoAgent({ route, tags, target: options.target, deadline: d.deadline }, options.persistent === true ? 'persistent' : 'fresh', ended, fail);
    return;
  }
  const out: FanOut<unknown> = {};
  let count = agents.length;
  const settle = (identity: string, outcome: FanOut<unknown>[string]): void => {
    // An own property whatever the identity (`__proto__` would otherwise set the object's prototype).
    Object.defineProperty(out, identity, { value: outcome, enumerable: true, writable: true, configurable: true });
    if (--count === 0) done.gathered(out);
  };
  const timeout = Number.isFinite(left) ? Math.ceil(left) : 0;
  for (const agent of agents) {
    ctx.leg(d, agent, timeout, {
      resolve: (result) => settle(agent.identity, { ok: true, result }),
      reject: (error) => settle(agent.identity, { ok: false, error }),
    });
  }
}

/**
 * What a fan-out runs when its wait for agents (the discovery window, offline failsafe) ends,
 * bound to the caller's signal: an abort meanwhile rejects at once, and `next` is then skipped.
 * Once the legs are sent, each leg answers the signal itself.
 */
function whileWaiting(signal: AbortSignal | undefined, cb: PendingCallbacks, next: () => void): (() => void) & { drop(): void } {
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    cb.reject(abortedError(signal!));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const drop = (): void => signal?.removeEventListener('abort', onAbort);
  return Object.assign(() => {
    drop();
    if (!aborted) next();
  }, { drop });
}
