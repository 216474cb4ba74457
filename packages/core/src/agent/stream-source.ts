/** What a handler may return to stream its result, and how such a source is closed early. */

/** An async iterable (an async generator, a Node `Readable`, …): the handler streams its result. */
export type StreamSource = AsyncIterable<unknown>;

/**
 * True for a value a handler returns to stream its result (async iterables only: an array is a
 * plain result). Throws what a throwing `Symbol.asyncIterator` getter throws: callers decide
 * whether that is the handler's error (job-runner.ts) or "not a source" ({@link isSourceSafe}).
 */
export function isStreamSource(v: unknown): v is StreamSource {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

/** {@link isStreamSource}, false instead of a throw (a strict Proxy is not a source). */
export function isSourceSafe(v: unknown): v is StreamSource {
  try {
    return isStreamSource(v);
  } catch {
    return false;
  }
}

/**
 * Stops a source nobody will read any more: destroys a `Readable`-like (which also wakes a pending
 * read), then asks an iterator to return (an async generator runs its `finally` blocks at its next
 * `yield`). Never throws; what return() rejects with is of no interest to anyone at this point.
 */
export function closeSource(source: unknown, iterator: AsyncIterator<unknown> | undefined, reason: unknown): void {
  try {
    const destroy = typeof source === 'object' && source !== null ? (source as { destroy?: unknown }).destroy : undefined;
    if (typeof destroy === 'function') (destroy as (err?: unknown) => void).call(source, reason instanceof Error ? reason : undefined);
  } catch {
    // A user stream whose destroy (or its getter) throws is already as closed as we can make it.
  }
  if (!iterator) return;
  try {
    if (typeof iterator.return !== 'function') return;
    const p = iterator.return();
    // The generator may reject from its finally block: the stream has ended either way.
    Promise.resolve(p).catch(() => undefined);
  } catch {
    // Same: a throwing return() leaves nothing more to do.
  }
}
