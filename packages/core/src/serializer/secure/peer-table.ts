/**
 * What secure mode keeps per peer key: the AEAD keys of both directions, the send counter, the
 * replay windows, and which address (agent identity, mapper id) maps to which key. Bounded:
 * past `max` peers the oldest is forgotten (its frames then need its credential again).
 */
import type { DirectionKey } from './aead';
import type { LocalCredential, VerifiedCredential } from './credential';
import { ReplayWindow } from './replay-window';

/** A peer key and its session with this endpoint. */
export interface Peer {
  readonly cred: VerifiedCredential;
  readonly hex: string;
  readonly sendKey: DirectionKey;
  readonly receiveKey: DirectionKey;
  sendSeq: number;
  readonly sealedWindow: ReplayWindow;
  readonly signedWindow: ReplayWindow;
  /** A sealed frame from this peer was opened: it knows our key, frames to it need not carry our credential. */
  confirmed: boolean;
}

/** Peers by key id and by address; bounded. */
export class PeerTable {
  private readonly byKid = new Map<string, Peer>();
  private readonly byAddress = new Map<string, string>();
  private readonly newest = new Map<string, { hex: string; ts: number }>();

  constructor(
    private readonly local: LocalCredential,
    private readonly max: number,
  ) {}

  /** Peers known. */
  get size(): number {
    return this.byKid.size;
  }

  /** Addresses known. */
  get addresses(): number {
    return this.byAddress.size;
  }

  get(hex: string): Peer | undefined {
    return this.byKid.get(hex);
  }

  /** The peer for a verified credential, created (keys derived) on first sight. */
  ensure(cred: VerifiedCredential, hex: string): Peer {
    let p = this.byKid.get(hex);
    if (!p) {
      const keys = this.local.directionKeys(cred.kx);
      p = { cred, hex, sendKey: keys.send, receiveKey: keys.receive, sendSeq: 0, sealedWindow: new ReplayWindow(), signedWindow: new ReplayWindow(), confirmed: false };
      this.byKid.set(hex, p);
      if (this.byKid.size > this.max) this.byKid.delete(this.byKid.keys().next().value as string);
    }
    return p;
  }

  /** The peer now reachable at `address`. */
  bind(address: string, hex: string): void {
    if (this.byAddress.get(address) === hex) return;
    this.byAddress.delete(address);
    this.byAddress.set(address, hex);
    if (this.byAddress.size > this.max) this.byAddress.delete(this.byAddress.keys().next().value as string);
  }

  /** The peer reachable at `address`, if known. */
  at(address: string): Peer | undefined {
    const hex = this.byAddress.get(address);
    return hex === undefined ? undefined : this.byKid.get(hex);
  }

  /**
   * Signed frames of identity `identity`: a key other than the newest one seen is accepted only
   * with a later timestamp (a restarted process), so an old process's frames cannot be replayed
   * once its replay window is forgotten. Returns false for a stale key.
   */
  admitKey(identity: string, hex: string, ts: number): boolean {
    const n = this.newest.get(identity);
    if (n && n.hex !== hex && ts <= n.ts) return false;
    return true;
  }

  /** Records the newest signed frame of `identity`. */
  noteSigned(identity: string, hex: string, ts: number): void {
    const n = this.newest.get(identity);
    if (n && n.hex === hex && n.ts >= ts) return;
    this.newest.delete(identity);
    this.newest.set(identity, { hex, ts });
    if (this.newest.size > this.max) this.newest.delete(this.newest.keys().next().value as string);
  }
}
