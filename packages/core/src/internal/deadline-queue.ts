/**
 * Deadlines for many in-flight requests with very few timers.
 *
 * Entries are grouped by their timeout length; inside a group deadlines grow with insertion order,
 * so each group is a FIFO with one timer armed for its head. The FIFO is an intrusive doubly linked
 * list (the entry carries its own links), so adding and cancelling are O(1) and allocate nothing:
 * at a million requests per second a setTimeout/clearTimeout pair, a closure or even a Map slot
 * per request shows up first in the profile.
 */
import { MAX_TIMER_DELAY } from './timers';

/** The fields an entry lends the queue. Initialise them to `0` / `undefined`; only the queue writes them. */
export interface DeadlineEntry {
  deadlineAt: number;
  deadlinePrev: DeadlineEntry | undefined;
  deadlineNext: DeadlineEntry | undefined;
  deadlineGroup: object | undefined;
}

class Group {
  head: DeadlineEntry | undefined;
  tail: DeadlineEntry | undefined;
  size = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly ms: number) {}
}

/** Owns every timer it arms; {@link DeadlineQueue.close} clears them all. */
export class DeadlineQueue<T extends DeadlineEntry> {
  private readonly groups = new Map<number, Group>();
  private closed = false;

  /**
   * `onExpire` is called with each entry whose deadline passed. With `keepAlive`, a pending
   * deadline keeps the process running (someone awaits the outcome); without it, timers are unref'd.
   */
  constructor(
    private readonly onExpire: (entry: T) => void,
    private readonly options: { keepAlive: boolean; now?: () => number } = { keepAlive: false },
  ) {}

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /**
   * Expires `entry` after `ms` milliseconds unless cancelled first. An entry is in at most one place
   * at a time. `now`: the caller's fresh reading of this queue's clock, to spare a second one.
   */
  add(ms: number, entry: T, now?: number): void {
    if (this.closed) return;
    if (entry.deadlineGroup) this.cancel(entry);
    let group = this.groups.get(ms);
    if (!group) {
      group = new Group(ms);
      this.groups.set(ms, group);
    }
    entry.deadlineAt = (now ?? this.now()) + ms;
    // The group's timer was let go of when it emptied (see cancel): it holds the process again.
    if (group.size === 0 && group.timer && this.options.keepAlive) group.timer.ref();
    entry.deadlineGroup = group;
    entry.deadlinePrev = group.tail;
    entry.deadlineNext = undefined;
    if (group.tail) group.tail.deadlineNext = entry;
    else group.head = entry;
    group.tail = entry;
    group.size++;
    if (!group.timer) this.arm(group, ms);
  }

  /** Forgets `entry` (no-op when it is not queued). */
  cancel(entry: T | DeadlineEntry): void {
    const group = entry.deadlineGroup as Group | undefined;
    if (!group) return;
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev) prev.deadlineNext = next;
    else group.head = next;
    if (next) next.deadlinePrev = prev;
    else group.tail = prev;
    entry.deadlinePrev = entry.deadlineNext = entry.deadlineGroup = undefined;
    group.size--;
    // Nothing awaits an empty group: its timer (left armed, re-arming is what costs) must not keep
    // the process alive until it fires.
    if (group.size === 0 && group.timer && this.options.keepAlive) group.timer.unref();
  }

  /** Number of deadlines still pending. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.size;
    return n;
  }

  /** Clears every timer; pending deadlines never fire; later adds are ignored. Idempotent. */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      if (g.timer) clearTimeout(g.timer);
      while (g.head) this.cancel(g.head);
    }
    this.groups.clear();
  }

  private arm(group: Group, delay: number): void {
    // Capped: Node fires a longer delay at once; the expiry re-arms for what is left.
    group.timer = setTimeout(() => this.expire(group), Math.min(Math.max(0, delay), MAX_TIMER_DELAY));
    if (!this.options.keepAlive) group.timer.unref();
  }

  private expire(group: Group): void {
    group.timer = undefined;
    const now = this.now();
    for (let entry = group.head; entry; entry = group.head) {
      if (entry.deadlineAt > now) {
        this.arm(group, entry.deadlineAt - now);
        return;
      }
      this.cancel(entry);
      this.onExpire(entry as T);
    }
    // Drained: drop the group so long-lived processes with varied timeouts do not accumulate groups.
    if (!group.timer && this.groups.get(group.ms) === group) this.groups.delete(group.ms);
  }
}
