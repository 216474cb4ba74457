/** An EventEmitter whose listeners (user code) cannot break the code that emits. */
import { EventEmitter } from 'node:events';

/**
 * Emits to each listener in turn, guarded: the mapper emits from transport callbacks and timers,
 * where a throw would escape as an uncaught exception (or kill a channel). A listener that throws
 * or returns a rejected promise is reported to {@link GuardedEmitter.listenerFault}; the others
 * still hear the event.
 */
export abstract class GuardedEmitter<T extends Record<keyof T, unknown[]>> extends EventEmitter<T> {
  /** Called for each listener that threw or rejected. Must not throw. */
  protected abstract listenerFault(event: string, err: unknown): void;

  /** Like `emit()`, guarded. */
  protected notify<K extends keyof T & string>(event: K, ...args: T[K]): void {
    const key = event as unknown as Parameters<EventEmitter<T>['listenerCount']>[0];
    if (this.listenerCount(key) === 0) return;
    for (const listener of this.rawListeners(key) as Array<(...a: unknown[]) => unknown>) {
      try {
        const out = listener.apply(this, args);
        if (out instanceof Promise) out.catch((err: unknown) => this.listenerFault(event, err));
      } catch (err) {
        this.listenerFault(event, err);
      }
    }
  }
}
