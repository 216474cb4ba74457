/**
 * Deadlines for many in-flight requests with very few timers.
 *
 * Entries are grouped by their timeout length; inside a group deadlines grow with insertion order,
 * so each group is a FIFO (an insertion-ordered Map) with one timer armed for its head. Adding and
 * cancelling are O(1) and cost no timer calls, which matters at a million requests per second
 * where a setTimeout/clearTimeout pair per request would dominate.
 */

/** A handle to cancel one deadline. */
export interface DeadlineHandle {
  cancel(): void;
}

interface Entry {
  at: number;
  fire: () => void;
}

class Group {
  readonly entries = new Map<number, Entry>();
  timer: NodeJS.Timeout | undefined;
}

/** Owns every timer it arms; {@link DeadlineQueue.close} clears them all. */
export class DeadlineQueue {
  private readonly groups = new Map<number, Group>();
  private nextKey = 0;
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Calls `fire` once `ms` milliseconds have passed, unless cancelled first. */
  add(ms: number, fire: () => void): DeadlineHandle {
    if (this.closed) return NOOP;
    let group = this.groups.get(ms);
    if (!group) {
      group = new Group();
      this.groups.set(ms, group);
    }
    const key = this.nextKey++;
    group.entries.set(key, { at: this.now() + ms, fire });
    if (!group.timer) this.arm(ms, group, ms);
    const g = group;
    return { cancel: () => void g.entries.delete(key) };
  }

  /** Number of deadlines still pending. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.entries.size;
    return n;
  }

  /** Clears every timer; pending deadlines never fire. Idempotent. */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      if (g.timer) clearTimeout(g.timer);
      g.entries.clear();
    }
    this.groups.clear();
  }

  private arm(ms: number, group: Group, delay: number): void {
    group.timer = setTimeout(() => this.expire(ms, group), Math.max(0, delay));
    // A pending deadline must not keep a process alive on its own: the request's owner does.
    group.timer.unref();
  }

  private expire(ms: number, group: Group): void {
    group.timer = undefined;
    const now = this.now();
    for (const [key, entry] of group.entries) {
      if (entry.at > now) {
        this.arm(ms, group, entry.at - now);
        return;
      }
      group.entries.delete(key);
      entry.fire();
    }
    // Group drained: drop it so long-lived processes with varied timeouts do not accumulate groups.
    if (group.entries.size === 0 && this.groups.get(ms) === group && !group.timer) this.groups.delete(ms);
  }
}

const NOOP: DeadlineHandle = { cancel: () => undefined };
