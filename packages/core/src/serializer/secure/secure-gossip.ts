/**
 * Roster gossip in secure mode. Every message leaves as a signed frame (like a heartbeat: the
 * message in the frame's body, the mapper's credential beside it), carried base64 in
 * `{ v: 1, sec }` by whatever carries gossip (its links encode JSON). On arrival the frame is
 * verified (CA, signature, replay window, clock skew), its signer must be allowed to gossip, and the
 * message's `from` must be an address of the signer's certificate. Gossip decides which agents the
 * mappers keep (a tombstone retires one on every mapper), so by default only certificates issued
 * for mappers may gossip: subject OU=mapper, as `nanite certs issue --role mapper` writes it;
 * `security.authorizeGossip` decides otherwise.
 */
import { isBoundTo } from './certificates';
import type { SecureCodec } from './secure-codec';
import type { SecureFault, SecureFaults } from './secure-faults';
import type { AuthorizeGossip, PeerIdentity } from './secure.options';
import type { GossipLink, GossipSink } from '../../transport/gossip';

/** What the gossip wrappers share. */
export interface SecureGossipParts {
  id: string;
  codec: SecureCodec;
  faults: SecureFaults;
  authorizeGossip?: AuthorizeGossip;
}

/** A gossip envelope: a signed frame, base64. */
interface Envelope {
  v: 1;
  sec: string;
}

/** The default gossip policy: a certificate whose subject says OU=mapper. */
export function isMapperCertificate(peer: PeerIdentity): boolean {
  return peer.certificate.subject.split('\n').some((line) => line === 'OU=mapper');
}

/** Whether `peer` may speak for the roster (gossip, an agent's removal): `authorize`, else {@link isMapperCertificate}. A throw denies. */
export function mayGossip(peer: PeerIdentity, authorize: AuthorizeGossip | undefined): boolean {
  try {
    return (authorize ?? isMapperCertificate)({ identity: peer.identity, certificate: peer.certificate }) === true;
  } catch {
    return false; // a hook that throws denies: failing closed
  }
}

/** Verifies what the transport hands in before the roster sees it. */
export class SecureGossipSink implements GossipSink {
  constructor(
    private readonly inner: GossipSink,
    private readonly p: SecureGossipParts,
  ) {}

  onMessage(message: unknown): void {
    const sec = typeof message === 'object' && message !== null ? (message as { sec?: unknown }).sec : undefined;
    if (typeof sec !== 'string') return this.drop('undecodable');
    const opened = this.p.codec.open({ sec: Buffer.from(sec, 'base64') });
    if (typeof opened === 'string') return this.drop(opened);
    if (opened.sealed) return this.drop('wrong-kind');
    const from = opened.packet.from;
    if (typeof from !== 'string' || !isBoundTo(from, opened.peer.identity)) return this.drop('impersonation');
    if (!mayGossip(opened.peer, this.p.authorizeGossip)) return this.drop('forbidden-gossip', { peer: opened.peer.identity });
    this.inner.onMessage(opened.packet);
  }

  onMalformed(reason: string): void {
    this.inner.onMalformed?.(reason);
  }

  private drop(fault: SecureFault, detail?: object): void {
    this.p.faults.record(fault, { mapper: this.p.id, ...detail });
    this.inner.onMalformed?.(`secure: ${fault}`);
  }
}

/** Signs what the roster sends. */
export class SecureGossipLink implements GossipLink {
  constructor(
    private readonly inner: GossipLink,
    private readonly p: SecureGossipParts,
  ) {}

  broadcast(message: object): void {
    const e = this.envelope(message);
    if (e) this.inner.broadcast(e);
  }

  send(to: string, message: object): void {
    const e = this.envelope(message);
    if (e) this.inner.send(to, e);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The signed envelope, or undefined (counted) for a message that cannot be signed (too large for the wire). */
  private envelope(message: object): Envelope | undefined {
    try {
      const signed = this.p.codec.sign(message);
      return { v: 1, sec: (signed.sec as Buffer).toString('base64') };
    } catch {
      this.p.faults.record('unsendable-gossip', { mapper: this.p.id });
      return undefined;
    }
  }
}
