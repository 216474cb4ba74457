/**
 * Wires a mapper to its roster: heartbeats feed the roster, the roster's verdicts act on the
 * registry (suspect: out of dispatch until heard again; down or removed: dropped, in-flight work
 * moved on) and reach listeners, and the transport carries its gossip when it can.
 */
import { NaniteError } from '../errors';
import type { Logger } from '../internal/logger';
import type { AgentView } from '../selectors/selector';
import { canGossip, NO_GOSSIP, type GossipLink } from '../transport/gossip';
import type { Transport } from '../transport/transport';
import type { Heartbeats } from './heartbeats';
import type { AgentDownReason } from './mapper.options';
import type { Registry } from './registry';
import { createRosterStore } from './roster/create-store';
import { Roster } from './roster/roster';
import type { RosterAgent, RosterOptions } from './roster/roster.options';

/** What the roster wiring needs from its mapper. */
export interface MapperRosterParts {
  identity: string;
  transport: Transport;
  registry: Registry;
  heartbeats: () => Heartbeats;
  logger: Logger;
  emit(event: 'agent:suspect' | 'agent:removed', agent: RosterAgent): void;
  /** Tells an agent that the cluster removed it. */
  tellRemoved(identity: string): void;
  /**
   * The mapper's explicit `agentTimeout`, when the user set one: the detector's "down" then takes
   * the agent out of dispatch but leaves dropping it (and moving its in-flight work on) to the
   * reaper, after that much silence. Undefined: the detector drops at once.
   */
  agentTimeout?: number | undefined;
}

/** Least time (ms) between two "you were removed" notices to one agent. */
const NOTICE_GAP = 1_000;
/** Most agents whose last notice time is remembered (oldest forgotten first). */
const NOTICE_MEMORY = 1_000;

/** A mapper's roster and its gossip link. */
export class MapperRoster {
  readonly roster: Roster;
  private link: GossipLink | undefined;
  /** Agents this roster took out of dispatch (only those are put back when the suspicion ends). */
  private readonly suspended = new Set<string>();
  private readonly noticed = new Map<string, number>();

  constructor(options: RosterOptions, private readonly p: MapperRosterParts) {
    this.roster = new Roster(p.identity, options, {
      suspend: (identity) => {
        const record = p.registry.get(identity);
        if (!record || record.suspended) return;
        p.registry.suspend(record);
        this.suspended.add(identity);
      },
      resume: (identity) => {
        const record = p.registry.get(identity);
        if (record && this.suspended.delete(identity)) p.registry.resume(record);
      },
      drop: (identity, reason) => {
        if (reason === 'timeout' && p.agentTimeout !== undefined) {
          // The user chose how long silence may last: out of dispatch now, dropped by the reaper.
          const record = p.registry.get(identity);
          if (record && !record.suspended) {
            p.registry.suspend(record);
            this.suspended.add(identity);
          }
          return;
        }
        this.suspended.delete(identity);
        p.heartbeats().drop(identity, reason);
      },
      emit: (event, agent) => p.emit(event, agent),
      connected: () => p.transport.isConnected !== false,
    }, p.logger, createRosterStore(options.store, p.identity, options.redisPrefix));
  }

  /** Before connecting: the stored roster, shown at once. */
  load(): Promise<void> {
    return this.roster.load();
  }

  /** After connecting: detector and gossip. */
  async start(): Promise<void> {
    if (canGossip(this.p.transport)) {
      try {
        this.link = await this.p.transport.openGossip(this.p.identity, { onMessage: (m) => this.roster.onGossip(m), onMalformed: (reason) => this.roster.onMalformedGossip(reason) });
      } catch (err) {
        // A wrapper (secure, direct) over a transport without gossip (sp://): nothing to fix, nothing to warn of.
        if (err instanceof NaniteError && (err.data as { reason?: unknown } | undefined)?.reason === NO_GOSSIP) {
          this.p.logger.info({ mapper: this.p.identity }, 'this transport carries no roster gossip; this mapper keeps its own roster');
        } else {
          // E.g. a vhost whose permissions predate the gossip exchanges: the mapper works, its roster stays its own.
          this.p.logger.warn({ mapper: this.p.identity, err: err instanceof Error ? err.message : String(err) }, 'roster gossip unavailable; this mapper keeps its own roster (see docs/roster.md for the permissions)');
        }
      }
    }
    this.roster.start(this.link);
  }

  /** What the mapper's heartbeat handler tells its listeners, the roster hears first. */
  observe(event: 'agent:up' | 'agent:update' | 'agent:down', agent: AgentView, reason?: AgentDownReason): void {
    if (event === 'agent:down') {
      this.suspended.delete(agent.identity);
      this.roster.lost(agent.identity, reason ?? 'timeout');
    }
    else this.roster.heard(agent, event === 'agent:up');
  }

  /** The mapper's link is back after an outage: silence counts from now (see Roster.reconnected). */
  reconnected(): void {
    this.roster.reconnected();
  }

  /** A removed agent is still heard: tell it (at most once a second), so it stops. */
  refused(identity: string): void {
    const now = Date.now();
    const last = this.noticed.get(identity);
    if (last !== undefined && now - last < NOTICE_GAP) return;
    this.noticed.delete(identity);
    if (this.noticed.size >= NOTICE_MEMORY) this.noticed.delete(this.noticed.keys().next().value!);
    this.noticed.set(identity, now);
    this.p.tellRemoved(identity);
  }

  /**
   * Closes the gossip link first (nothing merged after it, so nothing to save after the store is
   * closed), then the roster. Never rejects: a link that fails to close is logged, and the roster
   * logs a store that fails to, so the mapper always closes the rest.
   */
  async close(): Promise<void> {
    try {
      await this.link?.close();
    } catch (err) {
      this.p.logger.warn({ mapper: this.p.identity, err: err instanceof Error ? err.message : String(err) }, 'closing the roster gossip link failed');
    } finally {
      await this.roster.close();
    }
  }
}
