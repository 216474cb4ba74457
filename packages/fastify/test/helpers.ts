/** Shared helpers of the @nanite/fastify tests. */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';

/** A fresh memory:// bus URL, so tests never hear each other. */
export function busUrl(): string {
  return `memory://fastify-${randomUUID()}`;
}

/** A promise with its resolve function outside (for handlers a test releases by hand). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A pino destination that keeps every log line (parsed) in memory. */
export class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  }
}

/**
 * Resolves once `check()` holds, looking every 2 ms, at most `limitMs` (for states that emit no
 * event, e.g. an http.Server that stopped listening but still has connections).
 */
export async function until(check: () => boolean, what: string, limitMs = 2_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
}
