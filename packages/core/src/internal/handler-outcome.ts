/**
 * What a handler returned, read without trusting it: a result object is user code too (a `then`
 * or `Symbol.asyncIterator` getter may throw, a hand-made thenable may throw from `then()` or call
 * back twice). A throw while reading it is the handler's error, never one out of a transport callback.
 */

/**
 * The promise to wait on when a handler returned a promise or a thenable, else `undefined` (a plain
 * value). A native promise is used as it is; any other thenable is adopted by one, which calls back
 * once whatever it does. Throws what reading `then` throws (the caller answers it as the handler's error).
 */
export function pendingOutcome(out: unknown): PromiseLike<unknown> | undefined {
  if (out === null || typeof out !== 'object') return undefined;
  if (out instanceof Promise) return out;
  if (typeof (out as PromiseLike<unknown>).then !== 'function') return undefined;
  return new Promise<unknown>((resolve) => resolve(out as PromiseLike<unknown>));
}
