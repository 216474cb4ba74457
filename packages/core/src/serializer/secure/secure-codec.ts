/**
 * Seals, signs and opens packets. A packet leaves as an "outer" packet: the addressing fields the
 * transport routes by, in clear, plus `sec` (base64 of a frame holding the whole packet). Opening
 * checks the frame, verifies or decrypts it, rejects replays and returns the inner packet with the
 * verified sender; the outer fields must agree with the inner ones.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { assertWireSafe, DEFAULT_WIRE_LIMITS } from '../../protocol/wire-safety';
import type { LocalCredential, VerifiedCredential, CredentialFault } from './credential';
import { CredentialVerifier, signWith, verifyWith } from './credential';
import { decodeFrame, finishSigned, FRAME_SEALED, MAX_SEQ, sealedHead, signedPart, type SealedFrame, type SignedFrame } from './frame';
import { PeerTable, type Peer } from './peer-table';

/** Why a frame was dropped. */
export type OpenFault = CredentialFault | 'undecodable' | 'stale' | 'replay' | 'unknown-peer' | 'not-for-us' | 'undecryptable' | 'mismatch';

/** A verified packet and its sender. */
export interface Opened {
  packet: Record<string, unknown>;
  peer: VerifiedCredential;
  sealed: boolean;
}

/** Options of {@link SecureCodec}. */
export interface SecureCodecOptions {
  local: LocalCredential;
  cas: readonly X509Certificate[];
  maxSkew: number;
  maxPeers: number;
  now?: () => number;
}

/** The fields kept in clear on an outer packet, per type (what transports route and peek by). */
const CLEAR: Record<string, readonly string[]> = {
  request: ['v', 'type', 'id', 'route', 'replyTo', 'timeout', 'hops'],
  push: ['v', 'type', 'id', 'route', 'replyTo', 'timeout', 'hops'],
  cancel: ['v', 'type', 'id', 'replyTo'],
  result: ['v', 'type', 'id', 'from'],
  progress: ['v', 'type', 'id', 'from'],
};
/** Placeholders that keep an outer packet valid for a transport's own checks. */
const FILLER: Record<string, Record<string, unknown>> = {
  request: { payload: null },
  push: { payload: null },
  result: { ok: true },
  progress: { key: '', value: null },
};
const ADDRESSING = ['type', 'id', 'route', 'replyTo', 'from', 'identity', 'mapper'] as const;

function nonce(seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(seq, 6, 6);
  return n;
}

/** Sign, seal and open; one per secure transport (one local credential). */
export class SecureCodec {
  readonly peers: PeerTable;
  private readonly verifier: CredentialVerifier;
  private readonly now: () => number;
  private signedSeq = 0;

  constructor(private readonly o: SecureCodecOptions) {
    this.peers = new PeerTable(o.local, o.maxPeers);
    this.verifier = new CredentialVerifier(o.cas, Math.min(o.maxPeers, 1_000));
    this.now = o.now ?? Date.now;
  }

  /** A signed outer packet: the packet in clear, plus its signed frame. */
  sign(packet: object): Record<string, unknown> {
    const body = this.body(packet);
    const seq = this.signedSeq = (this.signedSeq + 1) % MAX_SEQ;
    const part = signedPart(this.now(), seq, this.o.local.kid, this.o.local.bytes, body);
    return { ...packet, sec: finishSigned(part, signWith(this.o.local.signingKey, part)).toString('base64') };
  }

  /** A sealed outer packet for the peer at `address`, or undefined when no key of it is known. */
  seal(packet: { type: string }, address: string): Record<string, unknown> | undefined {
    const peer = this.peers.at(address);
    if (!peer) return undefined;
    return this.sealFor(packet, peer);
  }

  private sealFor(packet: { type: string }, peer: Peer): Record<string, unknown> {
    const body = this.body(packet);
    const seq = peer.sendSeq = (peer.sendSeq + 1) % MAX_SEQ;
    const head = sealedHead(this.now(), seq, this.o.local.kid, peer.cred.kid, peer.confirmed ? EMPTY : this.o.local.bytes);
    const c = createCipheriv('aes-256-gcm', peer.sendKey, nonce(seq));
    c.setAAD(head);
    const frame = Buffer.concat([head, c.update(body), c.final(), c.getAuthTag()]);
    const outer: Record<string, unknown> = { ...FILLER[packet.type] };
    const src = packet as unknown as Record<string, unknown>;
    for (const k of CLEAR[packet.type] ?? ['v', 'type']) if (src[k] !== undefined) outer[k] = src[k];
    outer.sec = frame.toString('base64');
    return outer;
  }

  /** Opens an outer packet from the wire: the verified inner packet and its sender, or why it was dropped. Never throws. */
  open(outer: unknown): Opened | OpenFault {
    const frame = this.frameOf(outer);
    if (typeof frame === 'string') return frame;
    const now = this.now();
    if (Math.abs(now - frame.ts) > this.o.maxSkew) return 'stale';
    const opened = frame.kind === FRAME_SEALED ? this.openSealed(frame, now) : this.openSigned(frame, now);
    if (typeof opened === 'string') return opened;
    const o = outer as Record<string, unknown>;
    for (const k of ADDRESSING) if (o[k] !== undefined && o[k] !== opened.packet[k]) return 'mismatch';
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
    if (typeof sec !== 'string') return 'undecodable';
    const frame = decodeFrame(Buffer.from(sec, 'base64'));
    return typeof frame === 'string' ? 'undecodable' : frame;
  }

  private openSealed(frame: SealedFrame, now: number): Opened | OpenFault {
    if (!frame.recipient.equals(this.o.local.kid)) return 'not-for-us';
    const hex = frame.sender.toString('hex');
    let peer = this.peers.get(hex);
    if (!peer && frame.credential.length > 0) {
      const cred = this.credential(frame.credential, frame.sender, now);
      if (typeof cred === 'string') return cred;
      peer = this.peers.ensure(cred, hex);
    }
    if (!peer) return 'unknown-peer';
    if (now > peer.cred.notAfter) return 'expired';
    const body = this.decrypt(frame, peer.receiveKey);
    if (!body) return 'undecryptable';
    // Only after decryption: a forged frame must not advance the window.
    if (!peer.sealedWindow.accept(frame.seq)) return 'replay';
    peer.confirmed = true;
    const packet = this.parse(body);
    return packet ? { packet, peer: peer.cred, sealed: true } : 'undecodable';
  }

  private openSigned(frame: SignedFrame, now: number): Opened | OpenFault {
    const cred = this.credential(frame.credential, frame.sender, now);
    if (typeof cred === 'string') return cred;
    if (!verifyWith(cred.certificate.publicKey, frame.signed, frame.signature)) return 'bad-signature';
    const hex = frame.sender.toString('hex');
    if (!this.peers.admitKey(cred.identity, hex, frame.ts)) return 'replay';
    const peer = this.peers.ensure(cred, hex);
    if (!peer.signedWindow.accept(frame.seq)) return 'replay';
    this.peers.noteSigned(cred.identity, hex, frame.ts);
    const packet = this.parse(frame.body);
    return packet ? { packet, peer: cred, sealed: false } : 'undecodable';
  }

  private credential(bytes: Buffer, sender: Buffer, now: number): VerifiedCredential | OpenFault {
    const cred = this.verifier.verify(bytes, now);
    if (typeof cred === 'string') return cred;
    if (!cred.kid.equals(sender)) return 'credential';
    return cred;
  }

  private decrypt(frame: SealedFrame, key: Buffer): Buffer | undefined {
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce(frame.seq));
      d.setAAD(frame.aad);
      d.setAuthTag(frame.tag);
      return Buffer.concat([d.update(frame.ciphertext), d.final()]);
    } catch {
      return undefined; // authentication failed: tampered, forged or not for this key
    }
  }

  private parse(body: Buffer): Record<string, unknown> | undefined {
    try {
      const v: unknown = JSON.parse(body.toString('utf8'));
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  private body(packet: object): Buffer {
    assertWireSafe(packet, DEFAULT_WIRE_LIMITS);
    return Buffer.from(JSON.stringify(packet));
  }
}

const EMPTY = Buffer.alloc(0);
