/** Callers waiting for the registry to change (an agent to appear), each with a deadline. */
import type { DeadlineHandle, DeadlineQueue } from '../internal/deadline-queue';

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
  reject: () => void;
  deadline: DeadlineHandle;
}

export class RegistryWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly deadlines: DeadlineQueue) {}

  /** Calls `resolve` as soon as `ready()` holds (now or after a change), else `reject` after `ms`. */
  wait(ready: () => boolean, ms: number, resolve: () => void, reject: () => void): void {
    if (ready()) {
      resolve();
      return;
    }
    const w: Waiter = {
      ready,
      resolve,
      reject,
      deadline: this.deadlines.add(Math.max(1, Math.ceil(ms)), () => {
        this.waiters.delete(w);
        reject();
      }),
    };
    this.waiters.add(w);
  }

  /** Re-checks every waiter after the registry changed. */
  changed(): void {
    for (const w of [...this.waiters]) {
      if (!w.ready()) continue;
      this.waiters.delete(w);
      w.deadline.cancel();
      w.resolve();
    }
  }

  /** Fails every waiter (on close). */
  cancelAll(): void {
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.deadline.cancel();
      w.reject();
    }
  }
}
