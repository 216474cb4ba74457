/** The requests a mapper waits on: by id, with their deadlines and cancellation wiring. */
import { DeadlineQueue } from '../internal/deadline-queue';
import type { PendingRequest } from './pending-request';

/** Owns the deadline timers of pending requests; `close()` clears them. */
export class PendingTable {
  private readonly byId = new Map<number, PendingRequest>();
  private readonly deadlines: DeadlineQueue<PendingRequest>;
  private emptied: (() => void) | undefined;

  /** `onExpire` is called for a request whose deadline passed (it is still in the table). */
  constructor(onExpire: (p: PendingRequest) => void) {
    // Ref'd timers: a caller awaits each pending request, so the process must live until it settles
    // (on memory:// nothing else may hold the event loop open, and a silent exit would lose the request).
    this.deadlines = new DeadlineQueue<PendingRequest>(onExpire, { keepAlive: true });
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: number): PendingRequest | undefined {
    return this.byId.get(id);
  }

  has(p: PendingRequest): boolean {
    return p.tracking !== 0;
  }

  /** A copy of the pending requests (safe to iterate while completing some). */
  list(): PendingRequest[] {
    return [...this.byId.values()];
  }

  /**
   * Tracks `p` with a deadline (`timeout` ms, 0 for none) and, when given, a signal whose abort
   * calls `onAbort`. With `armAt: 'later'` the request is findable by id and its deadline runs only
   * from {@link PendingTable.arm} (its sender holds it meanwhile); otherwise at once, the deadline
   * from `armAt` (a fresh `Date.now()`) or now.
   */
  add(p: PendingRequest, timeout: number, signal: AbortSignal | undefined, onAbort: (p: PendingRequest) => void, armAt?: number | 'later'): void {
    if (timeout > 0) p.timeout = timeout;
    if (armAt === 'later') p.tracking = 1;
    else {
      p.tracking = 2;
      this.byId.set(p.packet.id, p);
      if (timeout > 0) this.deadlines.add(timeout, p, armAt);
    }
    if (signal) {
      p.signal = signal;
      p.onAbort = () => onAbort(p);
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
  }

  /**
   * Makes a request added with `armAt: 'later'` findable by id and starts its deadline,
   * `p.timeout` ms from `now`, when it is still pending: one an in-process agent answered while it
   * was being sent never touches the id table nor the deadline queue (and its timer's ref/unref).
   */
  arm(p: PendingRequest, now: number): void {
    if (p.tracking !== 1) return;
    p.tracking = 2;
    this.byId.set(p.packet.id, p);
    if (p.timeout > 0) this.deadlines.add(p.timeout, p, now);
  }

  /** Stops tracking `p` and releases what it holds; false when it was already complete. */
  complete(p: PendingRequest): boolean {
    if (p.tracking === 0) return false;
    if (p.tracking === 2) this.byId.delete(p.packet.id);
    p.tracking = 0;
    if (p.timeout > 0) this.deadlines.cancel(p);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    if (p.agent) p.agent.pending--;
    if (this.emptied && this.byId.size === 0) this.emptied();
    return true;
  }

  /** Resolves when no request is pending, or after `ms`. */
  whenEmpty(ms: number): Promise<void> {
    if (this.byId.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      // Bounds close(); what it waits for (pending requests) keeps the process alive on its own.
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.emptied = done;
    });
  }

  /** Clears every deadline timer. */
  close(): void {
    this.emptied = undefined;
    this.deadlines.close();
  }
}
