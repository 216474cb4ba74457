/** The agent's side of liveness: Register, Ping every `pingInterval`, UnRegister. */
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';
import type { HeartbeatPacket, RouteInfo } from '../protocol/packets';
import type { AgentLink } from '../transport/transport';
import { defaultStatus, EluMeter, type StatusFunction, type StatusInfo } from './status';

/** What the heartbeat reads from its agent. */
export interface HeartbeatSource {
  readonly identity: string;
  readonly tags: readonly string[];
  readonly concurrency: number;
  readonly pingInterval: number;
  /** Routing tier advertised in Register (1 = preferred … 16). */
  readonly priority: number;
  /** The software version advertised in Register, if any. */
  readonly version?: string | undefined;
  readonly status: StatusFunction;
  readonly logger: Logger;
  link(): AgentLink | undefined;
  routes(): RouteInfo[];
  /** Handlers running now. */
  inFlight(): number;
  /** Requests waiting for a free slot now. */
  queued(): number;
  /** The broker node the transport is on now (clusters), if it has one. */
  node?(): string | undefined;
  /** True while Registers should ask to be re-admitted after a retire (`rejoin`). */
  rejoin?(): boolean;
}

/** Owns the ping timer; `stop()` clears it. */
export class Heartbeat {
  private readonly elu = new EluMeter();
  private timer: NodeJS.Timeout | undefined;
  private lastGood: number | undefined;
  private lastElu = 0;
  /** Logged once per kind of fault, for the agent's life. */
  private readonly faults: BurstLog<'threw' | 'garbage'>;

  constructor(private readonly src: HeartbeatSource) {
    this.faults = new BurstLog({ logger: src.logger, bindings: { agent: src.identity }, quietMs: Infinity, windowPerKey: true, message: 'status function fault' });
  }

  /** Times the status function threw or returned something other than a finite number. */
  get statusFaults(): number {
    return this.faults.count;
  }

  /** Registers, then pings every `pingInterval`. */
  start(): void {
    this.stop();
    // The agent's own startup (module loading, connecting) is not load: the first ping measures from here.
    this.elu.sample();
    this.register();
    this.timer = setInterval(() => this.ping(), this.src.pingInterval);
    // The agent's link keeps the process alive when it should; a heartbeat alone must not.
    this.timer.unref();
  }

  /** Stops pinging (idempotent). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Sends a Register with the current routes, tags and status (also the answer to an Advertise).
   * Its status uses the last ping's event-loop utilisation (none before the first ping): sampling
   * here would measure the startup work before the first Register (a just-started agent looked
   * saturated, status 1, for a whole ping interval) or a window too short to mean anything.
   */
  register(): void {
    const { identity, tags, concurrency, pingInterval, priority, version } = this.src;
    const node = this.src.node?.();
    this.send({ v: 1, type: 'register', identity, routes: this.src.routes(), tags: [...tags], status: this.current(), concurrency, pingInterval, priority, ...(node ? { node } : {}), ...(this.src.rejoin?.() ? { rejoin: true } : {}), ...(version !== undefined ? { version } : {}) });
  }

  /** Sends an UnRegister (clean goodbye). */
  unregister(): void {
    this.send({ v: 1, type: 'unregister', identity: this.src.identity });
  }

  private ping(): void {
    const node = this.src.node?.();
    this.send({ v: 1, type: 'ping', identity: this.src.identity, status: this.status(), inFlight: this.src.inFlight(), ...(node ? { node } : {}) });
  }

  private send(packet: HeartbeatPacket): void {
    try {
      this.src.link()?.broadcast(packet);
    } catch (err) {
      // A heartbeat lost during an outage is replaced by the next one; the transport logs the outage.
      this.src.logger.debug({ err, agent: this.src.identity }, 'heartbeat not sent');
    }
  }

  /**
   * The user's status function runs inside the ping timer, so it is guarded: a throw or a value
   * that is not a finite number is replaced by the last good status (or the default status), logged
   * once per kind of fault and counted; the agent keeps pinging.
   */
  private status(): number {
    this.lastElu = this.elu.sample();
    return this.current();
  }

  /**
   * The status now, for the one piggybacked on each result: the same guarded status function, with
   * the event-loop utilisation of the last heartbeat (sampling it per reply would cost more than the reply).
   */
  current(): number {
    const inFlight = this.src.inFlight();
    const queued = this.src.queued();
    // The default cannot throw: no info object, no guard (this runs once per reply).
    if (this.src.status === defaultStatus) return Math.max((inFlight + queued) / this.src.concurrency, this.lastElu);
    const info: StatusInfo = { inFlight, queued, concurrency: this.src.concurrency, eventLoopUtilization: this.lastElu };
    let value: unknown;
    try {
      value = this.src.status(info);
    } catch (err) {
      return this.fallback('threw', info, { err });
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      this.lastGood = value;
      return value;
    }
    return this.fallback('garbage', info, { value: typeof value === 'number' ? String(value) : typeof value });
  }

  private fallback(kind: 'threw' | 'garbage', info: StatusInfo, detail: object): number {
    const what = kind === 'threw' ? 'status function threw' : 'status function returned a non-finite number';
    this.faults.record(detail, kind, `${what}; advertising the last good status (or the default one) instead (further faults of this kind are only counted)`);
    return this.lastGood ?? defaultStatus(info);
  }
}
