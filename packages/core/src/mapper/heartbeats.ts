/**
 * The mapper's side of liveness: Register / Ping / UnRegister into the registry, with every value
 * clamped, the registry capped, and agents that fell out of dispatch asked back on their next Ping.
 */
import type { PingPacket, RegisterPacket } from '../protocol/packets';
import type { MapperFaults } from './mapper-faults';
import type { AgentDownReason } from './mapper.options';
import type { AgentRecord, Registry } from './registry';
import { REGISTRY_LIMITS } from './registry-guard';
import type { RegistryWaiters } from './registry-waiters';

/** What the heartbeat handler needs from its mapper. */
export interface HeartbeatContext {
  readonly registry: Registry;
  readonly waiters: RegistryWaiters;
  readonly faults: MapperFaults;
  /** Emits an event to the roster and the user's listeners (guarded). `agent` is the live record: listeners get a snapshot. */
  notify(event: 'agent:up' | 'agent:update', agent: AgentRecord): void;
  notify(event: 'agent:down', agent: AgentRecord, reason: AgentDownReason): void;
  /** Sends an Advertise to one agent (asks it to register), when the mapper is running. */
  advertiseTo(identity: string): void;
  /** Moves or fails the requests a dropped agent was running. */
  agentLost(record: AgentRecord, reason: AgentDownReason): void;
  /** The requests still on `from` (an agent that unregistered) now belong to `to`, the same agent registered again. */
  adopt(from: AgentRecord, to: AgentRecord): void;
  /** False for an agent whose heartbeats are refused (it was removed from the roster; `rejoin` asks to be re-admitted). */
  admits?(identity: string, rejoin: boolean): boolean;
  /** A refused agent sent a heartbeat. */
  refused?(identity: string): void;
}

/** Least time (ms) between two Advertises asking one agent to confirm what we hold of it. */
const CONFIRM_GAP = 250;

/** How many dropped identities are remembered (to confirm their comeback Register). */
const DROPPED_MEMORY = 1_000;

/** Most Pings from unknown agents answered with an Advertise per second (a flood of forged identities must not become a flood of Advertises). */
const UNKNOWN_PING_BUDGET = 200;

/** Bounds (ms) of the wait after an UnRegister before the requests its agent still holds are moved or failed: two of its pings. */
const LEAVING_MIN = 500;
const LEAVING_MAX = 30_000;

interface Leaving {
  record: AgentRecord;
  timer: NodeJS.Timeout;
}

/** Applies heartbeats to the registry. */
export class Heartbeats {
  /** Identities dropped lately (bounded, oldest first) and when. */
  private readonly dropped = new Map<string, number>();
  /**
   * Agents that unregistered while this mapper's requests were still on them. A draining agent
   * unregisters once its handlers are done, so what is left are results on their way (they travel
   * apart from the UnRegister and may come after it) — or, if the UnRegister was forged (anyone who
   * may publish heartbeats can send one), requests a live agent is still running. Out of dispatch at
   * once, their requests are moved or failed only after two of the agent's pings without a Ping; when
   * it registers again they move to its new record (never left on one nothing would fail them from).
   * Bounded by the registry (only registered agents get here).
   */
  private readonly leaving = new Map<string, Leaving>();
  private budgetSecond = 0;
  private budgetLeft = UNKNOWN_PING_BUDGET;

  constructor(private readonly ctx: HeartbeatContext) {}

  /** A Register; `subject` is the certificate subject the transport verified (secure mode). */
  onRegister(p: RegisterPacket, now: number, subject?: string): void {
    const { registry, faults } = this.ctx;
    if (this.ctx.admits?.(p.identity, p.rejoin === true) === false) return this.ctx.refused?.(p.identity);
    const outcome = registry.register(p, now, subject);
    if (!outcome.record) {
      faults.record('refusedAgents', 'registry-full', { agents: registry.size }, 'registry full (maxAgents): Registers of new agents are refused');
      return;
    }
    this.back(outcome.record);
    if (outcome.clamped.length) faults.record('clamped', 'register-clamped', { agent: p.identity, fields: outcome.clamped }, 'a Register carried values out of range; they were clamped');
    // A known agent now serves other routes, tags or intervals: either it changed, or one of the two
    // Registers was forged. Asking it costs one Register and undoes a forged one at once. An agent
    // we had just dropped is asked once, on its first Ping: its comeback Register may be forged too.
    if (outcome.changed) this.confirm(outcome.record, now);
    else if (outcome.added && this.recentlyDropped(p.identity, now)) outcome.record.unconfirmed = true;
    this.ctx.notify(outcome.added ? 'agent:up' : 'agent:update', outcome.record);
    this.ctx.waiters.changed();
  }

  onPing(p: PingPacket, now: number): void {
    if (this.ctx.admits?.(p.identity, false) === false) return this.ctx.refused?.(p.identity);
    this.alive(p.identity);
    const pinged = this.ctx.registry.ping(p, now);
    if (!pinged) {
      // An agent we do not know (we started after it, or dropped it): ask it to register. Past the
      // budget, a real one is asked on one of its next Pings.
      const second = Math.floor(now / 1_000);
      if (second !== this.budgetSecond) {
        this.budgetSecond = second;
        this.budgetLeft = UNKNOWN_PING_BUDGET;
      }
      if (this.budgetLeft-- > 0) this.ctx.advertiseTo(p.identity);
      else this.ctx.faults.record('unansweredPings', 'unknown-ping-flood', { budget: UNKNOWN_PING_BUDGET }, 'more Pings from unknown agents than the mapper answers per second; the rest are only counted');
      return;
    }
    const { record, clamped } = pinged;
    if (clamped.length) this.ctx.faults.record('clamped', 'ping-clamped', { agent: p.identity, fields: clamped }, 'a Ping carried values out of range; they were clamped');
    // Alive but out of dispatch (a returned request suspended it, or a stray Register emptied its
    // routes), or not confirmed yet: the real agent answers an Advertise with its real Register; a
    // draining one ignores it.
    // The roster hears it first: an agent it had suspended for silence is back in dispatch at once,
    // and needs no Advertise (one per recovered suspicion used to cost a Register round trip each).
    this.ctx.notify('agent:update', record);
    if (record.suspended || record.routes.length === 0 || record.unconfirmed) this.confirm(record, now);
  }

  private recentlyDropped(identity: string, now: number): boolean {
    const at = this.dropped.get(identity);
    if (at === undefined) return false;
    this.dropped.delete(identity);
    return now - at <= REGISTRY_LIMITS.maxPingInterval * 3;
  }

  /**
   * Asks a known agent to register again, because what we hold of it may be stale or forged (at
   * most once per {@link CONFIRM_GAP}; a throttled ask is made on its next Ping).
   */
  confirm(record: AgentRecord, now: number): void {
    if (now - record.advertisedAt < CONFIRM_GAP) {
      record.unconfirmed = true;
      return;
    }
    record.advertisedAt = now;
    record.unconfirmed = false;
    this.ctx.advertiseTo(record.identity);
  }

  /** Removes an agent from dispatch and moves or fails the requests it was running. */
  drop(identity: string, reason: AgentDownReason): void {
    // It had unregistered, and now is gone for good (its queue vanished, the roster retired it): no
    // more waiting. Another UnRegister changes nothing (a forger would send two to skip the wait).
    const left = this.leaving.get(identity);
    if (left && reason !== 'unregistered') this.lose(identity, left, reason);
    const record = this.ctx.registry.remove(identity);
    if (!record) return;
    this.dropped.delete(identity);
    if (this.dropped.size >= DROPPED_MEMORY) this.dropped.delete(this.dropped.keys().next().value!);
    this.dropped.set(identity, Date.now());
    if (reason === 'unregistered' && record.pending > 0) this.wait(record);
    else this.ctx.agentLost(record, reason);
    this.ctx.notify('agent:down', record, reason);
  }

  /** Moves or fails now what agents that unregistered still held (the mapper closes). */
  close(): void {
    for (const [identity, left] of [...this.leaving]) this.lose(identity, left, 'unregistered');
  }

  private wait(record: AgentRecord): void {
    const left: Leaving = { record, timer: this.leaveTimer(record) };
    this.leaving.set(record.identity, left);
  }

  private leaveTimer(record: AgentRecord): NodeJS.Timeout {
    const ms = Math.min(LEAVING_MAX, Math.max(LEAVING_MIN, 2 * record.pingInterval));
    const timer = setTimeout(() => {
      const left = this.leaving.get(record.identity);
      if (left?.record === record) this.lose(record.identity, left, 'unregistered');
    }, ms);
    timer.unref();
    return timer;
  }

  private lose(identity: string, left: Leaving, reason: AgentDownReason): void {
    clearTimeout(left.timer);
    this.leaving.delete(identity);
    this.ctx.agentLost(left.record, reason);
  }

  /** A Ping from an agent that unregistered: alive, so its requests wait on (it is asked to register again). */
  private alive(identity: string): void {
    const left = this.leaving.get(identity);
    if (!left) return;
    clearTimeout(left.timer);
    left.timer = this.leaveTimer(left.record);
  }

  /** The agent registered again (its record is new): the requests still on its old record are its, and move with it. */
  private back(record: AgentRecord): void {
    const left = this.leaving.get(record.identity);
    if (!left) return;
    clearTimeout(left.timer);
    this.leaving.delete(record.identity);
    this.ctx.adopt(left.record, record);
  }

  /**
   * The transport reports the agent gone (its queue vanished): dropped, and asked to register again
   * at once. A dead agent never hears it; a live one whose queue was only lost for a moment, or that
   * the broker misreported while a cluster node left, is back in one round trip, not on its next Ping.
   */
  gone(identity: string): void {
    this.drop(identity, 'transport');
    this.ctx.advertiseTo(identity);
  }

  /** Drops every agent silent for longer than `agentTimeout` (default: three of its ping intervals). */
  reap(now: number, agentTimeout: number | undefined): void {
    // Only the silent ones are visited (the registry keeps agents ordered by lastSeen): a tick with
    // 10,000 live agents costs next to nothing.
    for (const a of this.ctx.registry.silent(now, (pingInterval) => agentTimeout ?? 3 * pingInterval)) this.drop(a.identity, 'timeout');
  }
}
