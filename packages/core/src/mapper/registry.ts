/** The mapper's view of the live agents and the routes they serve. */
import { LastHitMap } from '../internal/last-hit-map';
import { DEFAULT_PRIORITY, type PingPacket, type RegisterPacket } from '../protocol/packets';
import { PeakEwma } from '../selectors/peak-ewma';
import type { AgentView } from '../selectors/selector';
import { REGISTRY_LIMITS, sanePing, saneRegister } from './registry-guard';
import { SilenceQueue, type SilenceEntry, type SilenceGroup } from './silence-queue';

/** One known agent. Implements the public {@link AgentView} so selectors read it without copies. */
export class AgentRecord implements AgentView, SilenceEntry {
  routes: readonly string[] = [];
  idempotent = new Set<string>();
  tags: readonly string[] = [];
  status = 0;
  inFlight = 0;
  concurrency = 1;
  priority: number = DEFAULT_PRIORITY;
  /** The SP endpoint the agent's Register advertised (agents started with `listen`), reached by surveys over SP. */
  endpoint: string | undefined = undefined;
  /** The software version the agent's Register advertised. */
  version: string | undefined = undefined;
  /** The subject of the certificate that signed the agent's Register (secure mode only). */
  subject: string | undefined = undefined;
  pingInterval = 1;
  lastSeen = 0;
  pending = 0;
  /** The broker node the agent last reported (clusters). */
  node: string | undefined = undefined;
  /** Out of dispatch after a returned request until it registers again (it stays known: its pings still count). */
  suspended = false;
  /** Which entry into dispatch this is (a count over the registry): changes each time the agent comes back after leaving it. */
  entry = 0;
  /** When this mapper last asked the agent to register again (throttles those Advertises). */
  advertisedAt = 0;
  /** What we hold of it may be stale or forged and no Advertise went out yet (throttled): ask on its next Ping. */
  unconfirmed = false;
  /** Response times this mapper measured (request sent → result received). */
  readonly rtt = new PeakEwma();
  silencePrev: SilenceEntry | undefined = undefined;
  silenceNext: SilenceEntry | undefined = undefined;
  silenceGroup: SilenceGroup | undefined = undefined;

  constructor(readonly identity: string) {}

  get load(): number {
    return this.status + this.pending / this.concurrency;
  }

  get latency(): number {
    return this.rtt.read(Date.now());
  }

  /** A plain snapshot (for `mapper.agents()` and events). */
  snapshot(): AgentView {
    return {
      identity: this.identity,
      routes: [...this.routes],
      tags: [...this.tags],
      status: this.status,
      inFlight: this.inFlight,
      concurrency: this.concurrency,
      priority: this.priority,
      pingInterval: this.pingInterval,
      lastSeen: this.lastSeen,
      pending: this.pending,
      load: this.load,
      ...(this.node !== undefined ? { node: this.node } : {}),
      ...(this.endpoint !== undefined ? { endpoint: this.endpoint } : {}),
      ...(this.version !== undefined ? { version: this.version } : {}),
      ...(this.subject !== undefined ? { subject: this.subject } : {}),
      latency: this.latency,
    };
  }
}

const EMPTY: readonly AgentRecord[] = [];

/** What a Register says of an agent besides its status: a change means one of two Registers was not its own. */
function describe(r: AgentRecord): string {
  return JSON.stringify([r.routes, [...r.idempotent], r.tags, r.concurrency, r.pingInterval, r.priority, r.version]);
}

/** What {@link Registry.register} did. */
export type RegisterOutcome =
  | { record: AgentRecord; added: boolean; changed: boolean; clamped: string[] }
  | { record: undefined; refused: true };

/** Agents by identity, with a per-route index kept up to date on every change. At most `maxAgents` identities. */
export class Registry {
  private readonly agents = new Map<string, AgentRecord>();
  /** Agents serving each route; the lists are changed in place, created and dropped through set/delete. */
  private readonly byRoute = new LastHitMap<string, AgentRecord[]>();
  private readonly silence = new SilenceQueue<AgentRecord>();
  /** Entries into dispatch so far (see {@link AgentRecord.entry}). */
  private entries = 0;

  constructor(private readonly maxAgents = Infinity) {}

  get size(): number {
    return this.agents.size;
  }

  get(identity: string): AgentRecord | undefined {
    return this.agents.get(identity);
  }

  all(): IterableIterator<AgentRecord> {
    return this.agents.values();
  }

  /** Agents serving `route`, in registration order. */
  serving(route: string): readonly AgentRecord[] {
    return this.byRoute.get(route) ?? EMPTY;
  }

  /**
   * Adds or refreshes an agent with the Register's values clamped to sane ranges; returns it and
   * whether it is new. A new identity is refused when the registry already holds `maxAgents`.
   * `subject`: the certificate subject the transport verified (secure mode), else undefined.
   */
  register(p: RegisterPacket, now: number, subject?: string): RegisterOutcome {
    let record = this.agents.get(p.identity);
    const added = record === undefined;
    if (!record && this.agents.size >= this.maxAgents) return { record: undefined, refused: true };
    const sane = saneRegister(p);
    const before = record ? describe(record) : '';
    const back = !record || record.suspended;
    if (record) this.unindex(record);
    else {
      record = new AgentRecord(p.identity);
      this.agents.set(p.identity, record);
    }
    record.routes = [...new Set(sane.routes.map((r) => r.route))];
    record.idempotent = new Set(sane.routes.filter((r) => r.idempotent).map((r) => r.route));
    record.tags = [...sane.tags];
    record.status = sane.status;
    record.concurrency = sane.concurrency;
    record.pingInterval = sane.pingInterval;
    record.priority = p.priority ?? DEFAULT_PRIORITY;
    const endpoint = (p as { endpoint?: unknown }).endpoint;
    record.endpoint = typeof endpoint === 'string' && endpoint.length <= 1024 ? endpoint : undefined;
    record.node = p.node;
    record.version = p.version;
    record.subject = subject;
    this.silence.touch(record, now);
    record.suspended = false;
    if (back) record.entry = ++this.entries;
    for (const route of record.routes) {
      let list = this.byRoute.get(route);
      if (!list) {
        list = [];
        this.byRoute.set(route, list);
      }
      list.push(record);
    }
    return { record, added, changed: !added && describe(record) !== before, clamped: sane.clamped };
  }

  /** Refreshes a known agent's status (clamped); undefined when the agent is unknown. */
  ping(p: PingPacket, now: number): { record: AgentRecord; clamped: string[] } | undefined {
    const record = this.agents.get(p.identity);
    if (!record) return undefined;
    const sane = sanePing(p);
    record.status = sane.status;
    record.inFlight = sane.inFlight;
    if (p.node !== undefined) record.node = p.node;
    this.silence.touch(record, now);
    return { record, clamped: sane.clamped };
  }

  /** Takes an agent out of dispatch (it stays known, so its replies and pings still count) until it registers again. */
  suspend(record: AgentRecord): void {
    if (record.suspended) return;
    record.suspended = true;
    this.unindex(record);
  }

  /** Puts a suspended agent back into dispatch (the roster's suspicion ended with a heartbeat). */
  resume(record: AgentRecord): void {
    if (!record.suspended || this.agents.get(record.identity) !== record) return;
    record.suspended = false;
    record.entry = ++this.entries;
    for (const route of record.routes) {
      const list = this.byRoute.get(route);
      if (list) list.push(record);
      else this.byRoute.set(route, [record]);
    }
  }

  remove(identity: string): AgentRecord | undefined {
    const record = this.agents.get(identity);
    if (!record) return undefined;
    this.agents.delete(identity);
    this.silence.remove(record);
    this.unindex(record);
    return record;
  }

  /** Counts silence from `now` for every agent (after a broker outage nobody could ping). */
  touchAll(now: number): void {
    for (const a of this.agents.values()) this.silence.touch(a, now);
  }

  /** Agents not heard from for longer than `timeoutFor(their pingInterval)` ms; costs O(those), not O(agents). */
  silent(now: number, timeoutFor: (pingInterval: number) => number): AgentRecord[] {
    return this.silence.silent(now, timeoutFor);
  }

  /** A result came back from `record`: its piggybacked status (clamped like a Ping's) and the response time. */
  observeResult(record: AgentRecord, status: number | undefined, sentAt: number | undefined, now: number): void {
    if (status !== undefined) record.status = Math.min(Math.max(status, REGISTRY_LIMITS.minStatus), REGISTRY_LIMITS.maxStatus);
    if (sentAt !== undefined) record.rtt.observe(now - sentAt, now);
  }

  private unindex(record: AgentRecord): void {
    for (const route of record.routes) {
      const list = this.byRoute.get(route);
      if (!list) continue;
      const i = list.indexOf(record);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byRoute.delete(route);
    }
  }
}
