/**
 * Seals, signs and opens packets. A packet leaves as an "outer" packet: the addressing fields the
 * transport routes by, in clear, plus `sec` (the bytes of a frame holding the whole packet; byte
 * transports carry it as a binary envelope, see envelope.ts). Opening checks the frame, verifies or
 * decrypts it, rejects replays and returns the inner packet with the verified sender; the outer
 * fields must agree with the inner ones.
 *
 * Hot path: one JSON pass over the inner packet (a byte chunk's bytes skip it, see inner-packet.ts),
 * one allocation per frame, one AEAD call (aead.ts: libsodium's ChaCha20-Poly1305 on the frame's
 * own bytes for small bodies when sodium-native is installed, else a node:crypto cipher object);
 * keys are derived once per peer.
 */
import type { X509Certificate } from 'node:crypto';
import { assertWireSafe, DEFAULT_WIRE_LIMITS, payloadError } from '../../protocol/wire-safety';
import { Aead, loadSodium, TAG_BYTES, type AeadChoice, type DirectionKey } from './aead';
import type { LocalCredential, VerifiedCredential, CredentialFault } from './credential';
import { CredentialVerifier, signWith, verifyWith } from './credential';
import { decodeFrame, finishSigned, FRAME_SEALED, MAX_SEQ, sealedHead, sealedHeadBytes, signedPart, type SealedFrame, type SignedFrame } from './frame';
import { bundleBytes, decodeBundle, decodeInner, encodeBundle, encodeInner, innerBuffer, isBundle, type InnerBytes } from './inner-packet';
import { PeerTable, RECONFIRM_MS, type Peer } from './peer-table';

/** Why a frame was dropped. */
export type OpenFault = CredentialFault | 'undecodable' | 'stale' | 'replay' | 'unknown-peer' | 'not-for-us' | 'undecryptable' | 'mismatch';

/** A verified packet and its sender. */
export interface Opened {
  /** The packet (a bundle's first member). */
  packet: Record<string, unknown>;
  /** A bundle's members, in the order they were sealed (see inner-packet.ts); absent for a lone packet. */
  bundle?: Record<string, unknown>[];
  peer: VerifiedCredential;
  /** The sender's key id in hex (the peer table's key). */
  hex: string;
  sealed: boolean;
}

/** Options of {@link SecureCodec}. */
export interface SecureCodecOptions {
  local: LocalCredential;
  cas: readonly X509Certificate[];
  maxSkew: number;
  maxPeers: number;
  now?: () => number;
  /** Which AEAD seals (default `auto`); both are always opened. */
  aead?: AeadChoice;
}

type Fields = Record<string, unknown>;

/**
 * Most bytes of a bundle. Small replies are what bundling pays for (per-message costs dominate
 * them); a large result goes alone, so a bundle never holds one result's bytes hostage to others.
 */
export const BUNDLE_BYTES = 64 * 1024;
/**
 * The outer packet of `p`: the fields kept in clear (what transports route and peek by), and
 * placeholders that keep it valid for a transport's own checks. One literal shape per type, not a
 * loop over field names: megamorphic keyed stores cost more than the cipher.
 */
function outerOf(p: Fields, sec: Buffer): Fields {
  switch (p.type) {
    case 'request':
    case 'push':
      return { v: p.v, type: p.type, id: p.id, route: p.route, replyTo: p.replyTo, timeout: p.timeout, hops: p.hops, payload: null, sec };
    case 'cancel':
      return { v: p.v, type: p.type, id: p.id, replyTo: p.replyTo, sec };
    case 'result':
      return { v: p.v, type: p.type, id: p.id, from: p.from, ok: true, sec };
    case 'progress':
      return { v: p.v, type: p.type, id: p.id, from: p.from, key: '', value: null, sec };
    case 'bundle':
      return { v: p.v, type: p.type, from: p.from, sec };
    default:
      return { v: p.v, type: p.type, sec };
  }
}

/** True when an addressing field of the outer packet is present and differs from the verified one. */
function mismatch(o: Fields, p: Fields): boolean {
  return (
    (o.type !== undefined && o.type !== p.type) ||
    (o.id !== undefined && o.id !== p.id) ||
    (o.route !== undefined && o.route !== p.route) ||
    (o.replyTo !== undefined && o.replyTo !== p.replyTo) ||
    (o.from !== undefined && o.from !== p.from) ||
    (o.identity !== undefined && o.identity !== p.identity) ||
    (o.mapper !== undefined && o.mapper !== p.mapper)
  );
}

/** A bundle's outer packet must say `bundle` and name the one sender of its members, results and progress only. */
function bundleMismatch(o: Fields, members: Fields[]): boolean {
  if (o.type !== 'bundle' || typeof o.from !== 'string') return true;
  for (const p of members) if ((p.type !== 'result' && p.type !== 'progress') || p.from !== o.from) return true;
  return false;
}

/** Sign, seal and open; one per secure transport (one local credential). */
export class SecureCodec {
  readonly peers: PeerTable;
  private readonly verifier: CredentialVerifier;
  private readonly now: () => number;
  private signedSeq = 0;
  /** The nonce scratch: both backends copy or consume it at once, so one buffer serves every frame. */
  private readonly iv = Buffer.alloc(12);
  /** Seals and opens frame bodies; `backend` says what seals small ones. */
  readonly aead: Aead;

  constructor(private readonly o: SecureCodecOptions) {
    this.peers = new PeerTable(o.local, o.maxPeers);
    this.verifier = new CredentialVerifier(o.cas, Math.min(o.maxPeers, 1_000));
    this.now = o.now ?? Date.now;
    this.aead = new Aead(o.aead === 'aes-256-gcm' ? undefined : loadSodium());
  }

  /** A signed outer packet: the packet in clear, plus its signed frame. */
  sign(packet: object): Record<string, unknown> {
    const body = innerBuffer(this.body(packet));
    const seq = this.signedSeq = (this.signedSeq + 1) % MAX_SEQ;
    const part = signedPart(this.now(), seq, this.o.local.kid, this.o.local.bytes, body);
    return { ...packet, sec: finishSigned(part, signWith(this.o.local.signingKey, part)) };
  }

  /** A sealed outer packet for the peer at `address`, or undefined when no key of it is known. `inner`: the packet's bytes when {@link inner} made them already. */
  seal(packet: { type: string }, address: string, inner?: InnerBytes): Record<string, unknown> | undefined {
    const peer = this.peers.at(address);
    if (!peer) return undefined;
    return this.sealFor(packet, peer, inner);
  }

  /**
   * The inner bytes of a reply to seal later in a bundle (see {@link sealBundle}): checked and
   * serialized now, so a packet the wire refuses throws to its maker, as {@link seal} does.
   */
  inner(packet: object): InnerBytes {
    return this.body(packet);
  }

  /**
   * One sealed outer packet (`type: 'bundle'`) holding the results and progress `members` from
   * `from` to the peer at `address` (their bytes from {@link inner}, JSON form, totalling at most
   * {@link bundleLimit}): one AEAD operation and one message instead of one per packet. Undefined
   * when no key of the peer is known.
   */
  sealBundle(from: string, members: readonly InnerBytes[], address: string): Record<string, unknown> | undefined {
    const peer = this.peers.at(address);
    if (!peer) return undefined;
    let n = 0;
    const heads: Buffer[] = [];
    for (const m of members) {
      heads.push(m.head);
      n += m.length;
    }
    const head = encodeBundle(heads, bundleBytes(members.length, n));
    const outer: { type: string; v: number; from: string } = { v: 1, type: 'bundle', from };
    return this.sealFor(outer, peer, { head, length: head.length });
  }

  /** Most bytes a bundle of `count` members may total: {@link BUNDLE_BYTES} less the array's own bytes. */
  bundleLimit(count: number): number {
    return Math.min(BUNDLE_BYTES, DEFAULT_WIRE_LIMITS.maxBytes) - bundleBytes(count, 0);
  }

  private sealFor(packet: { type: string }, peer: Peer, inner?: InnerBytes): Record<string, unknown> {
    const body = inner ?? this.body(packet);
    const seq = this.peers.nextSeq(peer);
    const now = this.now();
    const credential = this.needsCredential(peer, now) ? this.o.local.bytes : EMPTY;
    const headLen = sealedHeadBytes(credential.length);
    const cipher = this.aead.cipherFor(body.length);
    const frame = sealedHead(cipher, now, seq, this.o.local.kid, peer.cred.kid, credential, body.length + TAG_BYTES);
    // A byte chunk's bytes (`data`) are sealed from where they lie, behind their head.
    this.aead.seal(cipher, peer.sendKey, this.nonce(seq), frame.subarray(0, headLen), body.head, body.data, frame, headLen);
    return outerOf(packet as unknown as Fields, frame);
  }

  /**
   * Whether a frame to `peer` carries our credential: until the peer has shown it knows our key,
   * and again (once per {@link RECONFIRM_MS}) when it has not answered for that long: it may have
   * forgotten our key, and it cannot say so.
   */
  private needsCredential(peer: Peer, now: number): boolean {
    if (peer.confirmed && (recent(peer.heardAt, now) || recent(peer.credentialAt, now))) return false;
    peer.credentialAt = now;
    return true;
  }

  /** Opens an outer packet from the wire: the verified inner packet and its sender, or why it was dropped. Never throws. */
  open(outer: unknown): Opened | OpenFault {
    const frame = this.frameOf(outer);
    if (typeof frame === 'string') return frame;
    const now = this.now();
    if (Math.abs(now - frame.ts) > this.o.maxSkew) return 'stale';
    const opened = frame.kind === FRAME_SEALED ? this.openSealed(frame, now) : this.openSigned(frame, now);
    if (typeof opened === 'string') return opened;
    if (opened.bundle ? bundleMismatch(outer as Fields, opened.bundle) : mismatch(outer as Fields, opened.packet)) return 'mismatch';
    return opened;
  }

  /** Opens a sealed frame this endpoint sent itself (a request the transport handed back). */
  openOwn(outer: unknown): Record<string, unknown> | undefined {
    const frame = this.frameOf(outer);
    if (typeof frame === 'string' || frame.kind !== FRAME_SEALED || !frame.sender.equals(this.o.local.kid)) return undefined;
    const peer = this.peers.get(frame.recipient.toString('hex'));
    const body = peer && this.decrypt(frame, peer.sendKey);
    return body ? this.parse(body) : undefined;
  }

  private frameOf(outer: unknown): SignedFrame | SealedFrame | OpenFault {
    if (typeof outer !== 'object' || outer === null) return 'undecodable';
    const sec = (outer as Record<string, unknown>).sec;
    if (!(sec instanceof Uint8Array)) return 'undecodable';
    // A Uint8Array that is not a Buffer (memory://?copy=clone): viewed, not copied.
    const frame = decodeFrame(Buffer.isBuffer(sec) ? sec : Buffer.from(sec.buffer, sec.byteOffset, sec.byteLength));
    return typeof frame === 'string' ? 'undecodable' : frame;
  }

  private openSealed(frame: SealedFrame, now: number): Opened | OpenFault {
    if (!frame.recipient.equals(this.o.local.kid)) return 'not-for-us';
    const hex = frame.sender.toString('hex');
    let peer = this.peers.get(hex);
    if (!peer && frame.credential.length > 0) {
      const cred = this.credential(frame.credential, frame.sender, now);
      if (typeof cred === 'string') return cred;
      peer = this.peers.ensure(cred, hex, frame.ts);
      if (!peer) return 'replay';
    }
    if (!peer) return 'unknown-peer';
    // A frame of a forgotten key of this identity, replayed after the key was learned again (fresh windows).
    if (frame.ts <= peer.minTs) return 'replay';
    if (now > peer.cred.notAfter) return 'expired';
    const body = this.decrypt(frame, peer.receiveKey);
    if (!body) return 'undecryptable';
    // Only after decryption: a forged frame must not advance the window.
    if (!peer.sealedWindow.accept(frame.seq)) return 'replay';
    this.peers.accepted(peer, frame.ts);
    peer.confirmed = true;
    peer.heardAt = now;
    if (isBundle(body)) {
      const bundle = decodeBundle(body);
      return bundle ? { packet: bundle[0]!, bundle, peer: peer.cred, hex, sealed: true } : 'undecodable';
    }
    const packet = this.parse(body);
    return packet ? { packet, peer: peer.cred, hex, sealed: true } : 'undecodable';
  }

  private openSigned(frame: SignedFrame, now: number): Opened | OpenFault {
    const cred = this.credential(frame.credential, frame.sender, now);
    if (typeof cred === 'string') return cred;
    if (!verifyWith(cred.certificate.publicKey, frame.signed, frame.signature)) return 'bad-signature';
    const hex = frame.sender.toString('hex');
    if (!this.peers.admitKey(cred.identity, hex, frame.ts)) return 'replay';
    const peer = this.peers.ensure(cred, hex, frame.ts);
    if (!peer || frame.ts <= peer.minTs || !peer.signedWindow.accept(frame.seq)) return 'replay';
    this.peers.accepted(peer, frame.ts);
    this.peers.noteSigned(cred.identity, hex, frame.ts);
    const packet = this.parse(frame.body);
    return packet ? { packet, peer: cred, hex, sealed: false } : 'undecodable';
  }

  private credential(bytes: Buffer, sender: Buffer, now: number): VerifiedCredential | OpenFault {
    const cred = this.verifier.verify(bytes, now);
    if (typeof cred === 'string') return cred;
    if (!cred.kid.equals(sender)) return 'credential';
    return cred;
  }

  private decrypt(frame: SealedFrame, key: DirectionKey): Buffer | undefined {
    // Undefined unless the tag authenticates every byte: tampered, forged or not for this key.
    return this.aead.open(frame.cipher, key, this.nonce(frame.seq), frame.aad, frame.ciphertext, frame.tag);
  }

  private nonce(seq: number): Buffer {
    this.iv.writeUIntBE(seq, 6, 6);
    return this.iv;
  }

  private parse(body: Buffer): Record<string, unknown> | undefined {
    return decodeInner(body);
  }

  /** The inner packet's bytes: the one JSON pass, after the same check every transport makes. */
  private body(packet: object): InnerBytes {
    assertWireSafe(packet, DEFAULT_WIRE_LIMITS);
    const bytes = encodeInner(packet);
    if (bytes.length > DEFAULT_WIRE_LIMITS.maxBytes) throw payloadError('packet', `too large (${bytes.length} bytes, over ${DEFAULT_WIRE_LIMITS.maxBytes})`);
    return bytes;
  }
}

const EMPTY = Buffer.alloc(0);

/** `t` is less than {@link RECONFIRM_MS} before `now` (a clock set back counts as long ago). */
function recent(t: number, now: number): boolean {
  return now >= t && now - t < RECONFIRM_MS;
}
