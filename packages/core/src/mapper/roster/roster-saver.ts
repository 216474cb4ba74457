/** Debounced saving of a roster to its store: at most one save in flight, one more queued behind it. */
import { BurstLog, type BurstLogger } from '../../internal/burst-log';
import type { RosterEntry } from './roster-entry';
import type { RosterStore } from './roster-store';

/** Saves what `snapshot()` returns, `delay` ms after the first change of a batch. */
export class RosterSaver {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private again = false;
  private readonly failures: BurstLog;

  constructor(
    private readonly store: RosterStore,
    private readonly snapshot: () => RosterEntry[],
    private readonly delay: number,
    logger: BurstLogger | undefined,
  ) {
    this.failures = new BurstLog({ logger, bindings: { store: store.where }, message: 'saving the roster failed; it is kept in memory and saved again on the next change' });
  }

  get failed(): number {
    return this.failures.count;
  }

  /** Something changed: save soon. */
  touch(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.delay);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.saving) {
      this.again = true;
      return this.saving;
    }
    // A store is user code: one that throws instead of rejecting (or returns no promise) is a failed save, not a crash.
    this.saving = Promise.resolve()
      .then(() => this.store.save(this.snapshot()))
      .catch((err: unknown) => {
        this.failures.record({ err: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        this.saving = undefined;
        if (this.again) {
          this.again = false;
          void this.run();
        }
      });
    return this.saving;
  }

  /**
   * Saves now what is pending (on close) and stops: resolves once nothing is saving, queued or
   * armed, so the last save done is of the latest roster.
   */
  async flush(): Promise<void> {
    let due = false;
    for (;;) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        due = true;
      }
      if (this.saving) {
        // When it ends, the save queued behind it (`again`) starts at once: loop to wait for that one too.
        await this.saving;
        continue;
      }
      if (!due && !this.again) return;
      due = false;
      this.again = false;
      await this.run();
    }
  }
}
