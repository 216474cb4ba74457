/**
 * An actor method's Observable as a result stream: each value is a chunk (Nest microservices
 * stream an Observable's values the same way). Observables push, so what the reader has not taken
 * yet is buffered, up to a bound past which the stream fails rather than grow without limit.
 */
import { NaniteError } from '@nanite/core';
import { takeWhile, type Observable, type Subscription } from 'rxjs';

/** Values an Observable may run ahead of the stream's reader before the stream fails with `NANITE_ERR_STREAM`. */
export const MAX_OBSERVABLE_BUFFER = 1024;

/** Subscribes on the first read; unsubscribes when the reader stops (cancel, error, end). */
export async function* observableChunks<T>(source: Observable<T>, max = MAX_OBSERVABLE_BUFFER): AsyncGenerator<T> {
  const buffer: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // takeWhile stops the source itself once the buffer overflowed: a synchronous source (range, from
  // an endless iterable) runs inside subscribe(), before any Subscription exists to unsubscribe.
  const sub: Subscription = source.pipe(takeWhile(() => failure === undefined)).subscribe({
    next: (v) => {
      if (buffer.length >= max) failure ??= { error: new NaniteError('NANITE_ERR_STREAM', { message: `The Observable ran more than ${max} values ahead of the stream's reader` }) };
      else buffer.push(v);
      notify();
    },
    error: (error: unknown) => {
      failure = { error };
      notify();
    },
    complete: () => {
      done = true;
      notify();
    },
  });
  try {
    for (;;) {
      if (buffer.length > 0) {
        yield buffer.shift()!;
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    sub.unsubscribe();
  }
}
