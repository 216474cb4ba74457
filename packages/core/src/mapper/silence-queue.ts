/**
 * Agents ordered by when they were last heard from, so the reaper finds the silent ones without
 * walking every agent on every tick. Agents are grouped by ping interval; inside a group, hearing
 * from an agent moves it to the tail, so each group stays ordered by `lastSeen` and the reaper only
 * looks at heads: a tick costs O(groups + agents dropped), not O(agents). Intrusive links (the
 * record carries them), so a heartbeat allocates nothing.
 */

/** The fields a record lends the queue. Only the queue writes the links. */
export interface SilenceEntry {
  lastSeen: number;
  readonly pingInterval: number;
  silencePrev: SilenceEntry | undefined;
  silenceNext: SilenceEntry | undefined;
  silenceGroup: SilenceGroup | undefined;
}

/** The agents of one ping interval, least recently heard first. */
export interface SilenceGroup {
  readonly pingInterval: number;
  head: SilenceEntry | undefined;
  tail: SilenceEntry | undefined;
}

/** Agents by silence. */
export class SilenceQueue<T extends SilenceEntry> {
  private readonly groups = new Map<number, SilenceGroup>();

  /** Records that the agent was heard from at `now` (moves it to the tail of its group). */
  touch(entry: T, now: number): void {
    entry.lastSeen = now;
    const group = entry.silenceGroup;
    if (group && group.pingInterval === entry.pingInterval) {
      if (group.tail === entry) return;
      this.unlink(entry);
    } else if (group) this.unlink(entry);
    this.append(entry);
  }

  /** Forgets the agent (no-op when it is not queued). */
  remove(entry: T | SilenceEntry): void {
    if (entry.silenceGroup) this.unlink(entry);
  }

  /**
   * The agents silent for longer than `timeoutFor(pingInterval)` ms at `now`, oldest first; they
   * stay queued (the caller removes those it drops).
   */
  silent(now: number, timeoutFor: (pingInterval: number) => number): T[] {
    const out: T[] = [];
    for (const group of this.groups.values()) {
      const timeout = timeoutFor(group.pingInterval);
      for (let e = group.head; e && now - e.lastSeen > timeout; e = e.silenceNext) out.push(e as T);
    }
    return out;
  }

  private append(entry: SilenceEntry): void {
    let group = this.groups.get(entry.pingInterval);
    if (!group) {
      group = { pingInterval: entry.pingInterval, head: undefined, tail: undefined };
      this.groups.set(entry.pingInterval, group);
    }
    entry.silenceGroup = group;
    entry.silencePrev = group.tail;
    entry.silenceNext = undefined;
    if (group.tail) group.tail.silenceNext = entry;
    else group.head = entry;
    group.tail = entry;
  }

  private unlink(entry: SilenceEntry): void {
    const group = entry.silenceGroup!;
    const { silencePrev: prev, silenceNext: next } = entry;
    if (prev) prev.silenceNext = next;
    else group.head = next;
    if (next) next.silencePrev = prev;
    else group.tail = prev;
    entry.silencePrev = entry.silenceNext = entry.silenceGroup = undefined;
    // Emptied groups go, so forged Registers with many distinct intervals leave nothing behind.
    if (!group.head) this.groups.delete(group.pingInterval);
  }
}
