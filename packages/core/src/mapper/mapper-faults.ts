/**
 * What a mapper counts and logs when user code or a peer misbehaves: each fault is counted, and
 * each kind is logged once per burst (again only after a quiet minute), so neither a faulty
 * selector on the hot path nor a flood from the wire can flood the logs.
 */
import type { Logger } from '../internal/logger';

/** The counters of {@link MapperFaults}, as `mapper.stats` shows them. */
export interface MapperFaultCounts {
  /** Custom selectors that threw, returned garbage or chose an agent that is not a candidate. */
  selectorFaults: number;
  /** Event listeners (`agent:up`, `onProgress`, ...) that threw; the mapper carried on. */
  listenerFaults: number;
  /** Results or progress from an agent other than the one the request was sent to: dropped. */
  strayReplies: number;
  /** Returned requests or pushes this mapper did not have in flight for that agent: not re-sent. */
  strayReturns: number;
  /** Pushes that came back undelivered and could not be re-sent to another agent: dropped. */
  undeliveredPushes: number;
  /** Registers of new agents refused because the registry held `maxAgents`. */
  refusedAgents: number;
  /** Registers and pings whose values were clamped to sane ranges. */
  clamped: number;
  /** Pings from unknown agents not answered with an Advertise (more than 200 in one second). */
  unansweredPings: number;
  /** Requests failed with `NANITE_ERR_TIMEOUT` instead of being sent because their deadline had passed. */
  expiredBeforeSend: number;
}

type Counter = keyof MapperFaultCounts;

const QUIET_MS = 60_000;

/** Counts faults and logs one line per kind per burst. */
export class MapperFaults implements MapperFaultCounts {
  selectorFaults = 0;
  listenerFaults = 0;
  strayReplies = 0;
  strayReturns = 0;
  undeliveredPushes = 0;
  refusedAgents = 0;
  clamped = 0;
  unansweredPings = 0;
  expiredBeforeSend = 0;
  /** Last time each kind was seen (bounded: kinds are a fixed set chosen by the mapper's code). */
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly bindings: object,
  ) {}

  /** Counts one fault; logs `message` when `kind` was not seen in the last minute. */
  record(counter: Counter, kind: string, details: object, message: string): void {
    this[counter]++;
    const now = Date.now();
    const last = this.lastSeen.get(kind);
    this.lastSeen.set(kind, now);
    if (last !== undefined && now - last < QUIET_MS) return;
    const level = counter === 'selectorFaults' || counter === 'listenerFaults' ? 'error' : 'warn';
    this.logger[level]({ ...this.bindings, ...details, kind, total: this[counter] }, `${message} (further faults of this kind are only counted until a quiet minute)`);
  }

  /** A copy of the counters. */
  counts(): MapperFaultCounts {
    const { selectorFaults, listenerFaults, strayReplies, strayReturns, undeliveredPushes, refusedAgents, clamped, unansweredPings, expiredBeforeSend } = this;
    return { selectorFaults, listenerFaults, strayReplies, strayReturns, undeliveredPushes, refusedAgents, clamped, unansweredPings, expiredBeforeSend };
  }
}
