/** Test helpers: isolated memory buses, deferred promises, tidy teardown of Nest apps. */
import { MemoryBusRegistry, MemoryTransport, type Logger } from '@nanite/core';

let n = 0;

/** A unique name per call (bus names, AMQP prefixes). */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++n}`;
}

/** A promise with its resolve/reject in hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A private memory bus: transports made here reach each other and nothing else; `openBuses()` tells whether anything was left attached. */
export class TestBus {
  readonly registry = new MemoryBusRegistry();
  readonly name = unique('nest');
  private readonly transports: MemoryTransport[] = [];

  transport(): MemoryTransport {
    const t = new MemoryTransport({ name: this.name, registry: this.registry });
    this.transports.push(t);
    return t;
  }

  /** Buses still held by some transport. */
  openBuses(): string[] {
    return this.registry.names();
  }

  /** Closes the transports this bus handed out (the module does not close transports it was given). */
  async close(): Promise<void> {
    for (const t of this.transports) await t.close();
  }
}

/** Something with an idempotent close, e.g. a Nest app or testing module. */
export interface Closable {
  close(): Promise<void>;
}

/** Closes in reverse order of registration (HTTP apps before the agents they call). */
export class Closer {
  private readonly items: Closable[] = [];

  add<T extends Closable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async closeAll(): Promise<void> {
    for (const item of this.items.splice(0).reverse()) await item.close();
  }
}

/** A logger that keeps lines in memory (quiet tests, assertions on warnings). */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  debug(obj: object, msg?: string): void { this.lines.push({ level: 'debug', obj, msg }); }
  info(obj: object, msg?: string): void { this.lines.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string): void { this.lines.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string): void { this.lines.push({ level: 'error', obj, msg }); }
}

/**
 * Per test: a fresh TestBus and a Closer; after each test everything added to the closer is closed
 * (reverse order), then the bus's transports, and no bus may stay attached.
 */
export function useTestBed(): { readonly bus: TestBus; readonly closer: Closer } {
  const closer = new Closer();
  let current: TestBus | undefined;
  beforeEach(() => {
    current = new TestBus();
  });
  afterEach(async () => {
    await closer.closeAll();
    await current?.close();
    expect(current?.openBuses()).toEqual([]);
  });
  return {
    closer,
    get bus(): TestBus {
      if (current === undefined) throw new Error('useTestBed(): the bus exists only inside a test');
      return current;
    },
  };
}
