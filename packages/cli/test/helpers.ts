/** Test helpers: captured streams and an in-process CliIo. */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../src';

/** A writable that keeps everything written to it. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean | undefined;

  constructor(tty = false) {
    super();
    this.isTTY = tty || undefined;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** An in-process io: captured stdout/stderr, a PassThrough stdin, given env and directories. */
export interface TestIo extends CliIo {
  readonly stdin: PassThrough;
  readonly stdout: Capture;
  readonly stderr: Capture;
}

/** Builds a {@link TestIo}. */
export function testIo(options: { env?: Record<string, string>; cwd?: string; home?: string; tty?: boolean } = {}): TestIo {
  return {
    stdin: new PassThrough(),
    stdout: new Capture(options.tty),
    stderr: new Capture(false),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    home: options.home ?? '/nonexistent-home',
  };
}

/** A stand-in for `process` as a signal source. */
export class FakeSignals extends EventEmitter {
  listening(): number {
    return this.listenerCount('SIGINT') + this.listenerCount('SIGTERM');
  }
}

let n = 0;

/** A memory:// URL no other test uses. */
export function memoryUrl(): string {
  return `memory://cli-test-${process.pid}-${++n}`;
}

/** Resolves once `predicate` holds, polling every 10 ms for at most `timeout` ms. */
export async function until(predicate: () => boolean, timeout = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A logger that drops everything. */
export const quietLogger = { debug(): void {}, info(): void {}, warn(): void {}, error(): void {} };

/** Path of the simple-agent example's actor module. */
export const SIMPLE_JS = join(__dirname, '..', '..', '..', 'examples', 'simple-agent', 'simple.js');

/** A new instance of the example's `Simple` actor (`/simple/echo`). */
export function simpleActor(): object {
  const { Simple } = createRequire(__filename)(SIMPLE_JS) as { Simple: new () => object };
  return new Simple();
}
