/** The errors a mapper builds, in one place so their codes and data stay consistent. */
import { NaniteError } from '../errors';
import { printedValue } from '../internal/option-checks';
import { MAX_TIMER_DELAY } from '../internal/timers';

/** `NANITE_ERR_NO_AGENT`, saying why no candidate was left. `known` = agents serving the route at all. */
export function noAgentError(route: string, known: number, tags: readonly string[], target: string | undefined, tried?: readonly string[]): NaniteError {
  const why = known === 0
    ? `no live agent serves ${route}`
    : `none of the ${known} agent(s) serving ${route} matches${tags.length ? ` tags [${tags.join(', ')}]` : ''}${target ? ` target ${target}` : ''}${tried?.length ? ' (the others were tried)' : ''}`;
  return new NaniteError('NANITE_ERR_NO_AGENT', { message: `No agent: ${why}`, data: { route, tags, target, tried: tried ? [...tried] : [] } });
}

/**
 * `NANITE_ERR_NO_AGENT` when agents match but the selector chose none of them (a user selector
 * returned nothing, or `target` named an agent not among them): at once, never a wait, since an
 * agent appearing would not change the selector's mind in a way the mapper could wait for.
 */
export function choseNoneError(route: string, candidates: number, tags: readonly string[], target: string | undefined): NaniteError {
  return new NaniteError('NANITE_ERR_NO_AGENT', {
    message: `No agent: the selector for ${route} chose none of the ${candidates} candidate(s)${target ? ` (target ${target})` : ''}`,
    data: { route, tags, target, tried: [], candidates, reason: 'selector-chose-none' },
  });
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

/** A mapper option that is a count: `fallback` when undefined, else a non-negative safe integer or `NANITE_ERR_INVALID_ARGUMENT`. */
export function countOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a non-negative integer`, data: { option: name, value: printedValue(value) } });
  }
  return value;
}

/** A mapper option in ms: `fallback` when undefined, else a number in [0, MAX_TIMER_DELAY]; throws `NANITE_ERR_INVALID_ARGUMENT`. */
export function waitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_DELAY) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${name} must be a number of ms in [0, ${MAX_TIMER_DELAY}]`, data: { option: name, value: printedValue(value) } });
  }
  return value;
}
