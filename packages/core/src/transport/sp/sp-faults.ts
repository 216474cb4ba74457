/**
 * Counters of what an SP socket refused or dropped, and a log that writes one line per burst of
 * faults instead of one per fault (a peer spewing garbage must not flood the logs).
 */
import type { Logger } from '../../internal/logger';
import type { SpFrameFault } from './sp-frame';
import type { SpHeaderFault } from './sp-handshake';

/**
 * Everything an SP socket counts as a fault.
 * Connection faults (the connection is closed): `bad-header`, `wrong-protocol`, `oversized`,
 * `bad-message-type`, `handshake-timeout`, `pipe-limit`.
 * Message faults (the message is dropped, the connection stays): `malformed` (no valid
 * backtrace/id), `unknown-id` (a reply or answer nobody waits for), `late` (a reply or answer after
 * its request or survey ended), `overflow` (a bounded table was full), `send-buffer-full` (the
 * peer did not read; a reply was dropped), `handler-error` (a request handler threw or rejected; no
 * reply was sent).
 */
export type SpFault =
  | SpHeaderFault
  | SpFrameFault
  | 'handshake-timeout'
  | 'pipe-limit'
  | 'malformed'
  | 'unknown-id'
  | 'late'
  | 'overflow'
  | 'send-buffer-full'
  | 'handler-error';

/** Faults counted so far, by kind. */
export type SpFaultCounts = Record<SpFault, number>;

const ALL: readonly SpFault[] = [
  'bad-header', 'wrong-protocol', 'oversized', 'bad-message-type', 'handshake-timeout', 'pipe-limit',
  'malformed', 'unknown-id', 'late', 'overflow', 'send-buffer-full', 'handler-error',
];

/** A burst ends when no line was written for this long (ms). */
export const SP_FAULT_LOG_WINDOW = 10_000;

/** Counts faults; logs the first of a burst and then at most one line per window, with what was suppressed. */
export class SpFaultCounter {
  private readonly counts = Object.fromEntries(ALL.map((k) => [k, 0])) as SpFaultCounts;
  private lastLogAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly bindings: object,
  ) {}

  /** Counts one fault; `detail` (e.g. the remote address) goes into the log line when one is written. */
  record(fault: SpFault, detail?: object): void {
    this.counts[fault]++;
    const now = Date.now();
    if (now - this.lastLogAt < SP_FAULT_LOG_WINDOW) {
      this.suppressed++;
      return;
    }
    this.lastLogAt = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger.warn(
      { ...this.bindings, ...detail, fault, suppressedSinceLastLine: suppressed, faults: this.nonZero() },
      'SP socket dropped a connection or message (further faults within 10 s are only counted)',
    );
  }

  private nonZero(): Partial<SpFaultCounts> {
    return Object.fromEntries(Object.entries(this.counts).filter(([, n]) => n > 0));
  }

  /** Counts by kind (a copy). */
  snapshot(): SpFaultCounts {
    return { ...this.counts };
  }
}
