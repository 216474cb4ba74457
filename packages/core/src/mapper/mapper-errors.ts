/** The errors a mapper builds, in one place so their codes and data stay consistent. */
import { NaniteError } from '../errors';
import { MAX_TIMER_DELAY } from '../internal/timers';

/** `NANITE_ERR_NO_AGENT`, saying why no candidate was left. `known` = agents serving the route at all. */
export function noAgentError(route: string, known: number, tags: readonly string[], target: string | undefined, tried?: readonly string[]): NaniteError {
  const why = known === 0
    ? `no live agent serves ${route}`
    : `none of the ${known} agent(s) serving ${route} matches${tags.length ? ` tags [${tags.join(', ')}]` : ''}${target ? ` target ${target}` : ''}${tried?.length ? ' (the others were tried)' : ''}`;
  return new NaniteError('NANITE_ERR_NO_AGENT', { message: `No agent: ${why}`, data: { route, tags, target, tried: tried ? [...tried] : [] } });
}

/** The error of a request whose signal fired: the signal's reason when it is a NaniteError, else `NANITE_ERR_ABORTED`. */
export function abortedError(signal: AbortSignal): NaniteError {
  const reason: unknown = signal.reason;
  if (reason instanceof NaniteError) return reason;
  return new NaniteError('NANITE_ERR_ABORTED', { cause: reason });
}

/** `NANITE_ERR_SHUTTING_DOWN` for work a closing mapper refuses or abandons. */
export function shuttingDownError(mapper: string): NaniteError {
  return new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: `Mapper ${mapper} closed before the request completed` });
}

/** Throws `NANITE_ERR_HOP_LIMIT` past `maxHops`. */
export function checkHops(hops: number, maxHops: number): void {
  if (hops > maxHops) {
    throw new NaniteError('NANITE_ERR_HOP_LIMIT', { message: `Request passed ${hops} hops (limit ${maxHops}): is there a cycle of actors calling each other?`, data: { hops, maxHops } });
  }
}

/** `NANITE_ERR_TIMEOUT` of a request that was not sent because its deadline had passed while it waited. */
export function notSentError(route: string, timeout: number, agent: string | undefined): NaniteError {
  return new NaniteError('NANITE_ERR_TIMEOUT', { message: `${route} was not sent: its deadline had passed`, data: { route, agent, timeout } });
}

/** `NANITE_ERR_TIMEOUT` of a request that was sent and not answered in time. */
export function timeoutError(route: string, timeout: number, agent: string | undefined): NaniteError {
  return new NaniteError('NANITE_ERR_TIMEOUT', { message: `${route} did not answer within ${timeout} ms`, data: { route, agent, timeout } });
}

/** A mapper option that is a wait in ms: `fallback` when undefined, else a number in [0, 2^31 − 1] or `NANITE_ERR_INVALID_ARGUMENT`. */
export function waitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_DELAY) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a number of ms in [0, ${MAX_TIMER_DELAY}]`, data: { option: name, value: String(value) } });
  }
  return value;
}
