/** Callers waiting for the registry to change (an agent to appear), each with a deadline. */
import type { NaniteError } from '../errors';
import { DeadlineQueue, type DeadlineEntry } from '../internal/deadline-queue';

interface Waiter extends DeadlineEntry {
  ready: () => boolean;
  resolve: () => void;
  reject: (closed?: NaniteError) => void;
  ms: number;
}

/** Owns its timers; `cancelAll()` fails every waiter (with the close's error) and clears them. */
export class RegistryWaiters {
  private readonly waiters = new Set<Waiter>();
  // Ref'd: a caller awaits every waiter (a request waiting for an agent must not let the process exit).
  private readonly deadlines = new DeadlineQueue<Waiter>(
    (w) => {
      this.waiters.delete(w);
      w.reject();
    },
    { keepAlive: true },
  );

  private closed: NaniteError | undefined;

  /**
   * Calls `resolve` as soon as `ready()` holds (now or after a change), else `reject()` after `ms`;
   * `reject(error)` with the close's error once `cancelAll()` ran (at once if it had: nothing would time it out).
   */
  wait(ready: () => boolean, ms: number, resolve: () => void, reject: (closed?: NaniteError) => void): void {
    if (ready()) {
      resolve();
      return;
    }
    if (this.closed) {
      reject(this.closed);
      return;
    }
    const w: Waiter = { ready, resolve, reject, ms: Math.max(1, Math.ceil(ms)), deadlineAt: 0, deadlinePrev: undefined, deadlineNext: undefined, deadlineGroup: undefined };
    this.waiters.add(w);
    this.deadlines.add(w.ms, w);
  }

  /** Re-checks every waiter after the registry changed. */
  changed(): void {
    for (const w of [...this.waiters]) {
      if (!w.ready()) continue;
      this.waiters.delete(w);
      this.deadlines.cancel(w);
      w.resolve();
    }
  }

  /** Fails every waiter, and every later one, with `error` (on close). */
  cancelAll(error: NaniteError): void {
    this.closed = error;
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.reject(error);
    }
    this.deadlines.close();
  }
}
