/**
 * What secure mode drops, counted by reason and logged once per burst per reason.
 */
import { BurstLog } from '../../internal/burst-log';
import type { Logger } from '../../internal/logger';
import type { OpenFault } from './secure-codec';

/** Every reason a secure transport drops something. */
export type SecureFault =
  | OpenFault
  /** A verified packet whose `identity` / `mapper` / `replyTo` / `from` is not bound to its signer's certificate. */
  | 'impersonation'
  /** A verified packet of a kind its sender's role never sends (e.g. a Result signed instead of sealed). */
  | 'wrong-kind'
  /** A Register (or ping, unregister) of an agent `authorizeRegistration` refused. */
  | 'forbidden-registration'
  /** A request or push `authorizeRequest` refused (a request is answered with `NANITE_ERR_FORBIDDEN`). */
  | 'forbidden-request'
  /** A packet to a peer whose key is not known (no Register / request heard from it yet). */
  | 'no-session'
  /** Roster gossip from a certificate not allowed to gossip (`authorizeGossip`; default: OU=mapper). */
  | 'forbidden-gossip'
  /** A roster gossip message this mapper could not sign (too large for the wire): not sent. */
  | 'unsendable-gossip';

const FAULTS: readonly SecureFault[] = [
  'undecodable', 'credential', 'expired', 'unknown-ca', 'key-usage', 'no-identity', 'key-type', 'bad-signature', 'stale', 'replay', 'unknown-peer',
  'not-for-us', 'undecryptable', 'mismatch', 'impersonation', 'wrong-kind', 'forbidden-registration', 'forbidden-request', 'no-session',
  'forbidden-gossip', 'unsendable-gossip',
];

/** Counts of a secure transport's drops, by reason. */
export type SecureFaultCounts = Record<SecureFault, number>;

/** Counts and logs secure-mode drops. */
export class SecureFaults {
  private readonly log: BurstLog<SecureFault>;

  constructor(logger: Logger, bindings: object) {
    this.log = new BurstLog<SecureFault>({
      logger,
      bindings,
      keys: FAULTS,
      windowPerKey: true,
      quietMs: 60_000,
      message: 'secure mode dropped a packet that failed verification (more of this kind are only counted for a minute)',
    });
  }

  /** Drops since creation. */
  get total(): number {
    return this.log.count;
  }

  counts(): SecureFaultCounts {
    return this.log.counts();
  }

  record(fault: SecureFault, detail?: object): void {
    this.log.record({ fault, ...detail }, fault);
  }
}
