/** The agents the Control Tower shows: the mapper's live ones plus those that went down lately. */
import { BurstLog, type AgentDownReason, type AgentView, type BurstLogger, type Mapper, type RosterAgent } from '@nanite/core';

/** One agent as the Control Tower API shows it. */
export interface AgentRow extends AgentView {
  /**
   * `up` while the mapper dispatches to it; `suspect` while the failure detector doubts it (no new
   * work); `down` after it left, `removed` after it was retired (`nanite forget`), both kept for
   * `downRetention`.
   */
  state: 'up' | 'suspect' | 'down' | 'removed';
  /** When it went down (epoch ms). */
  downAt?: number;
  /** Why it went down. */
  downReason?: AgentDownReason;
}

/** What `GET api/agents` answers and the `snapshot` event carries. */
export interface TowerSnapshot {
  /** The server's clock (epoch ms), so pages can age heartbeats without trusting their own clock. */
  now: number;
  /** The mapper the tower watches, and how many of its requests are waiting for a result. */
  mapper: { identity: string; pending: number; node?: string };
  /** Live agents first, then those that went down lately. */
  agents: AgentRow[];
}

/** Limits of an {@link AgentBoard}. */
export interface AgentBoardOptions {
  /** ms an agent that went down stays listed. */
  downRetention: number;
  /** Most agents listed as down at once; past it the oldest are removed early. */
  maxDown: number;
  /** Told once per burst of early removals. */
  logger?: BurstLogger;
}

/** A change on the board. */
export type BoardChange =
  | { type: 'agent:up' | 'agent:update' | 'agent:down'; agent: AgentRow }
  | { type: 'agent:removed'; identity: string };

/**
 * Follows a mapper's agent events; keeps agents that went down visible for a while, at most
 * `maxDown` of them (a cluster where thousands of agents come and go does not grow the tower's
 * memory: the oldest are removed early, counted in {@link AgentBoard.evicted}). Close it to detach.
 */
export class AgentBoard {
  private readonly down = new Map<string, { row: AgentRow; timer: NodeJS.Timeout }>();
  private readonly listeners = new Set<(change: BoardChange) => void>();
  private readonly onUp = (view: AgentView): void => this.changed('agent:up', view);
  private readonly onUpdate = (view: AgentView): void => this.changed('agent:update', view);
  private readonly onDown = (view: AgentView, reason: AgentDownReason): void => this.wentDown(view, reason);
  private readonly onSuspect = (r: RosterAgent): void => {
    const view = this.mapper.agents().find((a) => a.identity === r.identity);
    if (view) this.changed('agent:update', view, true);
  };
  private closed = false;
  private readonly evictions: BurstLog;

  constructor(
    private readonly mapper: Mapper,
    private readonly options: AgentBoardOptions,
  ) {
    this.evictions = new BurstLog({ logger: options.logger, message: 'Control Tower: more agents went down than it lists (maxDown); removing the oldest early (further ones in the next 10 s are only counted)' });
    mapper.on('agent:up', this.onUp);
    mapper.on('agent:update', this.onUpdate);
    mapper.on('agent:down', this.onDown);
    mapper.on('agent:suspect', this.onSuspect);
  }

  /** Live agents, then the ones that went down, each group by identity. */
  rows(): AgentRow[] {
    const suspects = new Set(this.mapper.roster().filter((r) => r.state === 'suspect').map((r) => r.identity));
    const up = this.mapper.agents().filter((a) => !this.down.has(a.identity)).map((a): AgentRow => ({ ...a, state: suspects.has(a.identity) ? 'suspect' : 'up' }));
    const down = [...this.down.values()].map((d) => d.row);
    const byIdentity = (a: AgentRow, b: AgentRow): number => a.identity.localeCompare(b.identity);
    return [...up.sort(byIdentity), ...down.sort(byIdentity)];
  }

  /** How many agents that went down were removed before their `downRetention` because of `maxDown`. */
  get evicted(): number {
    return this.evictions.count;
  }

  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: (change: BoardChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the mapper and clears the retention timers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mapper.off('agent:up', this.onUp);
    this.mapper.off('agent:update', this.onUpdate);
    this.mapper.off('agent:down', this.onDown);
    this.mapper.off('agent:suspect', this.onSuspect);
    for (const d of this.down.values()) clearTimeout(d.timer);
    this.down.clear();
    this.listeners.clear();
  }

  /**
   * `suspect` only from the roster's `agent:suspect`: an `agent:up` / `agent:update` means the
   * agent was just heard, which ends any suspicion (the roster hears it before listeners do), so
   * no roster lookup (O(agents)) runs per heartbeat.
   */
  private changed(type: 'agent:up' | 'agent:update', view: AgentView, suspect = false): void {
    const back = this.down.get(view.identity);
    if (back) {
      clearTimeout(back.timer);
      this.down.delete(view.identity);
    }
    this.emit({ type: back ? 'agent:up' : type, agent: { ...view, state: suspect ? 'suspect' : 'up' } });
  }

  private wentDown(view: AgentView, reason: AgentDownReason): void {
    const row: AgentRow = { ...view, state: reason === 'removed' ? 'removed' : 'down', downAt: Date.now(), downReason: reason, inFlight: 0, pending: 0 };
    const previous = this.down.get(view.identity);
    if (previous) {
      clearTimeout(previous.timer);
      // Re-inserted below, so the Map's order stays oldest-first.
      this.down.delete(view.identity);
    }
    const timer = setTimeout(() => this.remove(view.identity), this.options.downRetention);
    timer.unref();
    this.down.set(view.identity, { row, timer });
    this.emit({ type: 'agent:down', agent: row });
    while (this.down.size > this.options.maxDown) this.evictOldest();
  }

  private remove(identity: string): void {
    const entry = this.down.get(identity);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.down.delete(identity);
    this.emit({ type: 'agent:removed', identity });
  }

  private evictOldest(): void {
    const oldest = this.down.keys().next();
    if (oldest.done) return;
    this.remove(oldest.value);
    this.evictions.record({ maxDown: this.options.maxDown });
  }

  private emit(change: BoardChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
