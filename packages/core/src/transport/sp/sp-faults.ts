/**
 * Counters of what an SP socket refused or dropped, by kind, with one log line per burst of faults
 * instead of one per fault (a peer spewing garbage must not flood the logs).
 */
import { BurstLog } from '../../internal/burst-log';
import type { Logger } from '../../internal/logger';
import type { SpFrameFault } from './sp-frame';
import type { SpHeaderFault } from './sp-handshake';

/**
 * Everything an SP socket counts as a fault.
 * Connection faults (the connection is closed): `bad-header`, `wrong-protocol`, `oversized`,
 * `bad-message-type`, `handshake-timeout`, `pipe-limit`.
 * Message faults (the message is dropped, the connection stays): `malformed` (no valid
 * backtrace/id), `unknown-id` (a reply or answer nobody waits for), `late` (a reply or answer after
 * its request or survey ended), `wrong-pipe` (a reply from a connection its request was never sent
 * on, or a second answer to a survey from one connection: forged, not believed), `overflow` (a
 * bounded table was full), `send-buffer-full` (the peer did not read; a reply was dropped, or a
 * MUX stream message refused), `oversized-reply` (a reply larger than the socket's
 * `maxMessageSize`: not sent), `handler-error` (a request handler threw or rejected, or replied
 * with something other than bytes; no reply was sent).
 */
export type SpFault =
  | SpHeaderFault
  | SpFrameFault
  | 'handshake-timeout'
  | 'pipe-limit'
  | 'malformed'
  | 'unknown-id'
  | 'late'
  | 'wrong-pipe'
  | 'overflow'
  | 'send-buffer-full'
  | 'oversized-reply'
  | 'handler-error';

/** Faults counted so far, by kind. */
export type SpFaultCounts = Record<SpFault, number>;

const ALL: readonly SpFault[] = [
  'bad-header', 'wrong-protocol', 'oversized', 'bad-message-type', 'handshake-timeout', 'pipe-limit',
  'malformed', 'unknown-id', 'late', 'wrong-pipe', 'overflow', 'send-buffer-full', 'oversized-reply',
  'handler-error',
];

/** A burst ends when no line was written for this long (ms). */
export const SP_FAULT_LOG_WINDOW = 10_000;

/** Counts faults by kind; logs the first of a burst and then at most one line per window, with what was suppressed. */
export class SpFaultCounter {
  private readonly log: BurstLog<SpFault>;

  constructor(logger: Logger, bindings: object) {
    this.log = new BurstLog({
      logger,
      bindings,
      keys: ALL,
      quietMs: SP_FAULT_LOG_WINDOW,
      message: 'SP socket dropped a connection or message (further faults within 10 s are only counted)',
    });
  }

  /** Counts one fault; `detail` (e.g. the remote address) goes into the log line when one is written. */
  record(fault: SpFault, detail?: object): void {
    this.log.record({ ...detail, fault }, fault);
  }

  /** Counts by kind (a copy). */
  snapshot(): SpFaultCounts {
    return this.log.counts();
  }
}
