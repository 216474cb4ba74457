/**
 * What secure mode keeps per peer key: the AEAD keys of both directions, the send counter, the
 * replay windows, and which address (agent identity, mapper id) maps to which key. Bounded: one
 * certificate identity holds at most {@link MAX_KEYS_PER_IDENTITY} keys (its oldest is forgotten
 * first), and past `max` peers the oldest of all is forgotten (its frames then need its credential
 * again, and only frames stamped after the last one accepted from a forgotten key of its identity
 * are taken: a replay of a forgotten key's frame does not reopen its window). A peer learned
 * again goes on sealing from the highest sequence number used, never reusing a nonce.
 */
import type { DirectionKey } from './aead';
import type { LocalCredential, VerifiedCredential } from './credential';
import { MAX_SEQ } from './frame';
import { ReplayWindow } from './replay-window';

/** Keys one certificate identity may hold at once (processes sharing a certificate, restarts); past it its oldest is forgotten. */
export const MAX_KEYS_PER_IDENTITY = 64;

/**
 * A peer that knows our key may forget it (its table full of newer keys, or flooded): our frames
 * without the credential are then dropped there as `unknown-peer`, and it cannot tell us. So once
 * no sealed frame from a peer has been opened for this long, a frame to it carries the credential
 * again, at most once per this long: a forgotten key is learned again within about this long of
 * the peer's last answer, at the price of one credential per this long on a one-way flow.
 */
export const RECONFIRM_MS = 1_000;

/** A peer key and its session with this endpoint. */
export interface Peer {
  readonly cred: VerifiedCredential;
  readonly hex: string;
  readonly sendKey: DirectionKey;
  readonly receiveKey: DirectionKey;
  /** The last sequence number (the AEAD nonce) sealed for this peer: take the next one from {@link PeerTable.nextSeq}. */
  sendSeq: number;
  /**
   * Frames stamped at or before this are refused: the latest frame of a key of the peer's identity
   * forgotten before this entry was made (see `forgottenTs`), or -Infinity.
   */
  readonly minTs: number;
  readonly sealedWindow: ReplayWindow;
  readonly signedWindow: ReplayWindow;
  /** A sealed frame from this peer was opened: it knows our key, frames to it need not carry our credential (see {@link RECONFIRM_MS}). */
  confirmed: boolean;
  /** When (local clock, ms) a sealed frame from this peer was last opened. */
  heardAt: number;
  /** When (local clock, ms) a frame to this peer last carried our credential. */
  credentialAt: number;
  /** The latest timestamp of a frame accepted from this peer (its clock, ms). */
  lastTs: number;
}

/** Peers by key id and by address; bounded. */
export class PeerTable {
  private readonly byKid = new Map<string, Peer>();
  private readonly byAddress = new Map<string, string>();
  private readonly newest = new Map<string, { hex: string; ts: number }>();
  /** Keys of each identity, oldest first (at most {@link MAX_KEYS_PER_IDENTITY}). */
  private readonly keysOf = new Map<string, string[]>();
  /**
   * Per identity, the latest frame timestamp of its keys forgotten to make room. A key of that
   * identity not in the table is taken again only from a frame stamped after it: the replay
   * windows went with the forgotten key, so a frame it had sent (captured, still within
   * `maxSkew`) would otherwise be accepted again. Per identity, so a flood of fresh keys under
   * one certificate only ever forgets, and refuses, that certificate's own keys.
   */
  private readonly forgottenTs = new Map<string, number>();
  /**
   * The highest sequence number sealed for any peer. A peer entry starts from it: the keys shared
   * with a peer key are the same each time it is learned again (they derive from both keys), so a
   * forgotten peer's counter starting over would seal under nonces already used with them.
   */
  private sealedHigh = 0;

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

  /**
   * The peer for a verified credential, created (keys derived) on first sight from a frame stamped
   * `ts`; undefined when it is not known and `ts` is no later than the last frame of a key of the
   * same identity forgotten to make room (possibly a replay of that key's: see `forgottenTs`).
   */
  ensure(cred: VerifiedCredential, hex: string, ts: number): Peer | undefined {
    let p = this.byKid.get(hex);
    if (p) return p;
    const minTs = this.forgottenTs.get(cred.identity) ?? -Infinity;
    if (ts <= minTs) {
      return undefined;
    }
    const keys = this.local.directionKeys(cred.kx);
    p = { cred, hex, sendKey: keys.send, receiveKey: keys.receive, sendSeq: this.sealedHigh, minTs, sealedWindow: new ReplayWindow(), signedWindow: new ReplayWindow(), confirmed: false, heardAt: 0, credentialAt: 0, lastTs: 0 };
    this.byKid.set(hex, p);
    let own = this.keysOf.get(cred.identity);
    if (!own) {
      own = [];
      this.keysOf.set(cred.identity, own);
    }
    own.push(hex);
    // One identity's keys make room among themselves first (restarts, or a flood under one certificate).
    if (own.length > MAX_KEYS_PER_IDENTITY) this.forget(own[0]!);
    if (this.byKid.size > this.max) this.forget(this.byKid.keys().next().value as string);
    return p;
  }

  private forget(hex: string): void {
    const p = this.byKid.get(hex);
    if (!p) return;
    this.byKid.delete(hex);
    const identity = p.cred.identity;
    const own = this.keysOf.get(identity);
    if (own) {
      const i = own.indexOf(hex);
      if (i >= 0) own.splice(i, 1);
      if (own.length === 0) this.keysOf.delete(identity);
    }
    if (p.lastTs > (this.forgottenTs.get(identity) ?? -Infinity)) {
      this.forgottenTs.delete(identity);
      this.forgottenTs.set(identity, p.lastTs);
      if (this.forgottenTs.size > this.max) this.forgottenTs.delete(this.forgottenTs.keys().next().value as string);
    }
  }

  /** The next sequence number to seal for `peer`: never one sealed before under the same keys. */
  nextSeq(peer: Peer): number {
    const seq = peer.sendSeq = (peer.sendSeq + 1) % MAX_SEQ;
    if (seq > this.sealedHigh) this.sealedHigh = seq;
    return seq;
  }

  /** A frame stamped `ts` from `peer` was accepted. */
  accepted(peer: Peer, ts: number): void {
    if (ts > peer.lastTs) peer.lastTs = ts;
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
