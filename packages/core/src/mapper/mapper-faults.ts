/**
 * What a mapper counts and logs when user code or a peer misbehaves: each fault is counted, and
 * each kind is logged once per burst (again only after a quiet minute), so neither a faulty
 * selector on the hot path nor a flood from the wire can flood the logs.
 */
import { BurstLog } from '../internal/burst-log';
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
  /** Cancels of aborted requests the link could not send (closing, broker gone): the agent ran them to their end. */
  unsentCancels: number;
  /** Requests failed with `NANITE_ERR_TIMEOUT` instead of being sent because their deadline had passed. */
  expiredBeforeSend: number;
}

type Counter = keyof MapperFaultCounts;

/** The counters that log; `expiredBeforeSend` is only counted (the caller gets the timeout). */
type Logged = Exclude<Counter, 'expiredBeforeSend'>;

const LOGGED: readonly Logged[] = [
  'selectorFaults', 'listenerFaults', 'strayReplies', 'strayReturns', 'undeliveredPushes', 'refusedAgents', 'clamped', 'unansweredPings', 'unsentCancels',
];

/** User code that threw is an error; what came from the wire is a warning. */
const ERRORS: ReadonlySet<Logged> = new Set<Logged>(['selectorFaults', 'listenerFaults']);

const QUIET_MS = 60_000;

/** Counts faults and logs one line per kind per burst. */
export class MapperFaults {
  expiredBeforeSend = 0;
  /** One log per counter; its keys are the fault kinds, a fixed set chosen by the mapper's code. */
  private readonly logs: Record<Logged, BurstLog>;

  constructor(logger: Logger, bindings: object) {
    this.logs = Object.fromEntries(LOGGED.map((c) => [c, new BurstLog({
      logger,
      bindings,
      quietMs: QUIET_MS,
      until: 'silence',
      windowPerKey: true,
      level: ERRORS.has(c) ? 'error' : 'warn',
      message: 'a mapper fault',
    })])) as Record<Logged, BurstLog>;
  }

  /** Counts one fault; logs `message` when `kind` was not seen in the last minute. */
  record(counter: Logged, kind: string, details: object, message: string): void {
    this.logs[counter].record({ ...details, kind }, kind, `${message} (further faults of this kind are only counted until a quiet minute)`);
  }

  /** A copy of the counters. */
  counts(): MapperFaultCounts {
    const logged = Object.fromEntries(LOGGED.map((c) => [c, this.logs[c].count])) as Record<Logged, number>;
    return { ...logged, expiredBeforeSend: this.expiredBeforeSend };
  }
}
