/**
 * Counts events that arrive from the wire or from user code (a dropped packet, a full buffer, a
 * selector that threw) and writes at most one log line per burst, so a flood costs a counter
 * increment per event and a line now and then, never a line per event. No timer: the clock is read
 * only when an event is recorded.
 */

/** Where a {@link BurstLog} writes: a pino, Fastify or Nanite `Logger` fits; without `error`, error lines go to `warn`. */
export interface BurstLogger {
  warn(obj: object, msg: string): void;
  error?(obj: object, msg: string): void;
}

/** How a {@link BurstLog} counts and when it writes. */
export interface BurstLogOptions<K extends string = string> {
  /** The line written for a burst (a `record()` call may word its own). Say that further events are only counted. */
  message: string;
  /** Where lines go. Without one, events are only counted. */
  logger?: BurstLogger;
  /** Fields in every line, e.g. `{ agent: identity }`. */
  bindings?: object;
  /** The quiet period, ms (default 10 000). `Infinity`: one line per key until {@link BurstLog.endBurst}. */
  quietMs?: number;
  /**
   * `'interval'` (default): at most one line per `quietMs`, whatever arrives in between.
   * `'silence'`: a burst ends only after `quietMs` without any event of its key.
   */
  until?: 'interval' | 'silence';
  /** Level of the lines (default `'warn'`). */
  level?: 'warn' | 'error';
  /**
   * The fixed set of keys when events are counted by kind: each is counted apart (see
   * {@link BurstLog.counts}) and lines carry the non-zero `counts`. Without it, keys given to
   * `record()` only separate windows (bounded: see `maxKeys`).
   */
  keys?: readonly K[];
  /** A window per key (default false: one window for all events). */
  windowPerKey?: boolean;
  /** Most free-form keys given windows (default 100); events of further keys are counted, not logged. */
  maxKeys?: number;
}

interface Window {
  last: number;
  suppressed: number;
}

/**
 * A counter that logs once per burst. Lines carry the `bindings`, the `detail` of the event that
 * opened the burst, `total` (events of this log, or of its key when `keys` are set) and `suppressed`
 * (events of the same window only counted since its last line).
 */
export class BurstLog<K extends string = string> {
  private total = 0;
  private readonly byKey = new Map<K, number>();
  private readonly shared: Window = { last: Number.NEGATIVE_INFINITY, suppressed: 0 };
  /** Bounded by `keys` or `maxKeys`. */
  private readonly windows = new Map<K, Window>();

  constructor(private readonly options: BurstLogOptions<K>) {
    for (const key of options.keys ?? []) this.byKey.set(key, 0);
  }

  /** Events recorded since creation. */
  get count(): number {
    return this.total;
  }

  /** Counts by key (a copy; the fixed `keys`, zeros included). */
  counts(): Record<K, number> {
    return Object.fromEntries(this.byKey) as Record<K, number>;
  }

  /**
   * Counts one event (of `key`, if given) and logs `detail` (with `message` instead of the
   * options' one) unless the event's window is in a burst. Returns whether a line was written.
   */
  record(detail?: object, key?: K, message = this.options.message): boolean {
    this.total++;
    const keyed = key !== undefined && this.options.keys !== undefined;
    if (keyed) this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    const w = this.windowOf(key);
    if (w === undefined) return false;
    const now = Date.now();
    const quiet = this.options.quietMs ?? 10_000;
    if (now - w.last < quiet) {
      w.suppressed++;
      if (this.options.until === 'silence') w.last = now;
      return false;
    }
    w.last = now;
    const { logger, bindings, level } = this.options;
    if (!logger) return false;
    const line = { ...bindings, ...detail, total: keyed ? this.byKey.get(key) : this.total, suppressed: w.suppressed, ...(keyed ? { counts: this.nonZero() } : {}) };
    w.suppressed = 0;
    if (level === 'error' && logger.error) logger.error(line, message);
    else logger.warn(line, message);
    return true;
  }

  /** Ends the burst of `key` (or of the shared window) now, e.g. when what overflowed has drained: the next event logs. */
  endBurst(key?: K): void {
    const w = this.options.windowPerKey && key !== undefined ? this.windows.get(key) : this.shared;
    if (w) w.last = Number.NEGATIVE_INFINITY;
  }

  private windowOf(key: K | undefined): Window | undefined {
    if (!this.options.windowPerKey || key === undefined) return this.shared;
    let w = this.windows.get(key);
    if (w === undefined) {
      if (this.options.keys === undefined && this.windows.size >= (this.options.maxKeys ?? 100)) return undefined;
      w = { last: Number.NEGATIVE_INFINITY, suppressed: 0 };
      this.windows.set(key, w);
    }
    return w;
  }

  private nonZero(): Partial<Record<K, number>> {
    return Object.fromEntries([...this.byKey].filter(([, n]) => n > 0)) as Partial<Record<K, number>>;
  }
}
