/**
 * The secure envelope's bytes: signed frames (broadcast packets) and sealed frames (AEAD, unicast
 * packets), and the credential a frame may carry. Pure functions; the decoders never throw and
 * check every length against what is there, so random bytes cost a few comparisons.
 *
 * Common header (26 bytes): 'N' 0x02 kind flags | ts f64 BE | seq u48 BE | sender key id (8).
 *   flags: 0 for a signed frame; a sealed frame's cipher (aead.ts): 0 AES-256-GCM, 1 ChaCha20-Poly1305.
 *   (Version 1 sealed with AES-256-GCM alone, under keys of another HKDF label: its frames are refused.)
 * Signed (kind 1): header | credLen u16 | credential | bodyLen u32 | body | sigLen u8 | signature
 *   (the signature covers every byte before sigLen).
 * Sealed (kind 2): header | recipient key id (8) | credLen u16 | credential (0 bytes when absent) |
 *   ciphertext | tag (16) (the associated data is every byte before the ciphertext, flags included).
 * Credential: certLen u16 | certificate DER | X25519 public key (32) | ts f64 BE | sigLen u8 | signature.
 */

import { CIPHER_CHACHA, CIPHER_GCM, TAG_BYTES, type Cipher } from './aead';

/** Frame kinds. */
export const FRAME_SIGNED = 1;
export const FRAME_SEALED = 2;
const MAGIC = 0x4e;
const VERSION = 2;
/** Bytes of the common header. */
export const HEADER_BYTES = 26;
/** Bytes of a key id. */
export const KID_BYTES = 8;
/** Bytes of an X25519 public key. */
export const KX_BYTES = 32;
/** Largest sequence number (u48). */
export const MAX_SEQ = 2 ** 48 - 1;

/** The header fields of a frame. */
export interface FrameHeader {
  kind: typeof FRAME_SIGNED | typeof FRAME_SEALED;
  ts: number;
  seq: number;
  sender: Buffer;
}

/** A decoded signed frame (not yet verified). */
export interface SignedFrame extends FrameHeader {
  kind: typeof FRAME_SIGNED;
  credential: Buffer;
  body: Buffer;
  /** The bytes the signature covers. */
  signed: Buffer;
  signature: Buffer;
}

/** A decoded sealed frame (not yet decrypted). */
export interface SealedFrame extends FrameHeader {
  kind: typeof FRAME_SEALED;
  /** The AEAD that sealed it (the header's flags). */
  cipher: Cipher;
  recipient: Buffer;
  /** Empty when absent. */
  credential: Buffer;
  /** The associated data: every byte before the ciphertext. */
  aad: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** A decoded credential (not yet verified). */
export interface CredentialParts {
  cert: Buffer;
  kx: Buffer;
  ts: number;
  /** The bytes the signature covers (every byte before sigLen). */
  signed: Buffer;
  signature: Buffer;
}

function header(kind: number, flags: number, ts: number, seq: number, sender: Buffer, extra: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER_BYTES + extra);
  b[0] = MAGIC;
  b[1] = VERSION;
  b[2] = kind;
  b[3] = flags;
  b.writeDoubleBE(ts, 4);
  b.writeUIntBE(seq, 12, 6);
  sender.copy(b, 18, 0, KID_BYTES);
  return b;
}

/** The bytes a signed frame's signature covers. */
export function signedPart(ts: number, seq: number, sender: Buffer, credential: Buffer, body: Buffer): Buffer {
  const b = header(FRAME_SIGNED, 0, ts, seq, sender, 2 + credential.length + 4 + body.length);
  let o = HEADER_BYTES;
  o = b.writeUInt16BE(credential.length, o);
  o += credential.copy(b, o);
  o = b.writeUInt32BE(body.length, o);
  body.copy(b, o);
  return b;
}

/** A signed frame: `signedPart(...)` followed by its signature. */
export function finishSigned(signed: Buffer, signature: Buffer): Buffer {
  return Buffer.concat([signed, Buffer.from([signature.length]), signature]);
}

/** Bytes of a sealed frame's head (its associated data) with a credential of `credLen` bytes. */
export function sealedHeadBytes(credLen: number): number {
  return HEADER_BYTES + KID_BYTES + 2 + credLen;
}

/**
 * A sealed frame's buffer with its head (the associated data) written and `tail` bytes left for
 * the ciphertext and tag, so a frame is one allocation.
 */
export function sealedHead(cipher: Cipher, ts: number, seq: number, sender: Buffer, recipient: Buffer, credential: Buffer, tail = 0): Buffer {
  const b = header(FRAME_SEALED, cipher, ts, seq, sender, KID_BYTES + 2 + credential.length + tail);
  recipient.copy(b, HEADER_BYTES, 0, KID_BYTES);
  b.writeUInt16BE(credential.length, HEADER_BYTES + KID_BYTES);
  credential.copy(b, HEADER_BYTES + KID_BYTES + 2);
  return b;
}

/** Decodes a frame's structure, or returns the reason it is malformed. Never throws. */
export function decodeFrame(b: Buffer): SignedFrame | SealedFrame | string {
  if (b.length < HEADER_BYTES) return 'truncated header';
  if (b[0] !== MAGIC || b[1] !== VERSION) return 'not a secure frame (magic or version)';
  const ts = b.readDoubleBE(4);
  if (!Number.isFinite(ts)) return 'bad timestamp';
  const seq = b.readUIntBE(12, 6);
  const sender = b.subarray(18, 26);
  const flags = b[3]!;
  if (b[2] === FRAME_SIGNED) {
    if (flags !== 0) return 'unknown flags';
    let o = HEADER_BYTES;
    if (b.length < o + 2) return 'truncated credential length';
    const credLen = b.readUInt16BE(o);
    o += 2;
    if (b.length < o + credLen + 4) return 'truncated credential';
    const credential = b.subarray(o, o + credLen);
    o += credLen;
    const bodyLen = b.readUInt32BE(o);
    o += 4;
    if (b.length < o + bodyLen + 1) return 'truncated body';
    const body = b.subarray(o, o + bodyLen);
    o += bodyLen;
    const sigLen = b[o]!;
    if (b.length !== o + 1 + sigLen || sigLen === 0) return 'bad signature length';
    return { kind: FRAME_SIGNED, ts, seq, sender, credential, body, signed: b.subarray(0, o), signature: b.subarray(o + 1) };
  }
  if (b[2] === FRAME_SEALED) {
    if (flags !== CIPHER_GCM && flags !== CIPHER_CHACHA) return 'unknown cipher';
    let o = HEADER_BYTES;
    if (b.length < o + KID_BYTES + 2) return 'truncated recipient';
    const recipient = b.subarray(o, o + KID_BYTES);
    o += KID_BYTES;
    const credLen = b.readUInt16BE(o);
    o += 2;
    if (b.length < o + credLen + TAG_BYTES) return 'truncated sealed frame';
    const credential = b.subarray(o, o + credLen);
    o += credLen;
    return { kind: FRAME_SEALED, cipher: flags as Cipher, ts, seq, sender, recipient, credential, aad: b.subarray(0, o), ciphertext: b.subarray(o, b.length - TAG_BYTES), tag: b.subarray(b.length - TAG_BYTES) };
  }
  return 'unknown frame kind';
}

/** The bytes a credential's signature covers. */
export function credentialPart(cert: Buffer, kx: Buffer, ts: number): Buffer {
  const b = Buffer.allocUnsafe(2 + cert.length + KX_BYTES + 8);
  let o = b.writeUInt16BE(cert.length, 0);
  o += cert.copy(b, o);
  o += kx.copy(b, o);
  b.writeDoubleBE(ts, o);
  return b;
}

/** Decodes a credential's structure, or returns the reason it is malformed. Never throws. */
export function decodeCredential(b: Buffer): CredentialParts | string {
  if (b.length < 2) return 'truncated credential';
  const certLen = b.readUInt16BE(0);
  let o = 2;
  if (certLen === 0 || b.length < o + certLen + KX_BYTES + 8 + 1) return 'truncated credential';
  const cert = b.subarray(o, o + certLen);
  o += certLen;
  const kx = b.subarray(o, o + KX_BYTES);
  o += KX_BYTES;
  const ts = b.readDoubleBE(o);
  o += 8;
  const sigLen = b[o]!;
  if (b.length !== o + 1 + sigLen || sigLen === 0) return 'bad credential signature length';
  return { cert, kx, ts, signed: b.subarray(0, o), signature: b.subarray(o + 1) };
}
