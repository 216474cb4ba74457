/**
 * Credentials: a certificate, an ephemeral X25519 public key and a time, signed with the
 * certificate's key. {@link LocalCredential} is this endpoint's (keys made at start, never
 * written anywhere); {@link CredentialVerifier} checks peers' credentials, with a bounded cache.
 */
import { createHash, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, hkdfSync, sign, verify, type KeyObject, type X509Certificate } from 'node:crypto';
import { X509Certificate as Cert } from 'node:crypto';
import { NaniteError } from '../../errors';
import type { DirectionKey } from './aead';
import { checkCertificate, isSupportedKey, notAfter } from './certificates';
import { credentialPart, decodeCredential, KID_BYTES, KX_BYTES } from './frame';

const CRED_CONTEXT = Buffer.from('nanite credential v1\0');

/** Signs with an ECDSA P-256 (fixed-size r||s) or Ed25519 key. */
export function signWith(key: KeyObject, data: Buffer): Buffer {
  return key.asymmetricKeyType === 'ed25519' ? sign(null, data, key) : sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
}

/** Verifies a signature made by {@link signWith}; false (never a throw) for a bad one. */
export function verifyWith(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return key.asymmetricKeyType === 'ed25519' ? verify(null, data, key, signature) : verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false; // a signature of the wrong shape for the key type is just a bad signature
  }
}

/** The key id of an X25519 public key: the first 8 bytes of its SHA-256. */
export function keyId(kx: Buffer): Buffer {
  return createHash('sha256').update(kx).digest().subarray(0, KID_BYTES);
}

function rawX25519(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}

function x25519Public(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** This endpoint's certificate, signing key and ephemeral key-agreement key. */
export class LocalCredential {
  readonly kx: Buffer;
  readonly kid: Buffer;
  /** The signed credential bytes, attached to frames. */
  readonly bytes: Buffer;
  private readonly kxPrivate: KeyObject;

  constructor(
    readonly certificate: X509Certificate,
    readonly signingKey: KeyObject,
    readonly identity: string,
    now: number,
  ) {
    if (!isSupportedKey(certificate.publicKey)) throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: 'The certificate key must be ECDSA P-256 or Ed25519' });
    if (!certificate.checkPrivateKey(signingKey)) throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: 'The private key does not belong to the certificate' });
    const pair = generateKeyPairSync('x25519');
    this.kxPrivate = pair.privateKey;
    this.kx = rawX25519(pair.publicKey);
    this.kid = keyId(this.kx);
    const part = credentialPart(certificate.raw, this.kx, now);
    const sig = signWith(signingKey, Buffer.concat([CRED_CONTEXT, part]));
    this.bytes = Buffer.concat([part, Buffer.from([sig.length]), sig]);
  }

  /**
   * The AEAD keys of both directions shared with the peer whose X25519 key is `peerKx`: HKDF-SHA256
   * of the X25519 secret, one key per cipher (aead.ts) and direction. Held as KeyObjects for
   * node:crypto, which turns a Buffer key into one on every createCipheriv (on Node 24 that alone is
   * ~13 µs of a ~18 µs seal); libsodium takes the ChaCha20-Poly1305 key's bytes.
   */
  directionKeys(peerKx: Buffer): { send: DirectionKey; receive: DirectionKey } {
    const shared = diffieHellman({ privateKey: this.kxPrivate, publicKey: x25519Public(peerKx) });
    const peerKid = keyId(peerKx);
    const salt = Buffer.concat(Buffer.compare(this.kid, peerKid) <= 0 ? [this.kid, peerKid] : [peerKid, this.kid]);
    const derive = (label: string, from: Buffer, to: Buffer): Buffer => Buffer.from(hkdfSync('sha256', shared, salt, Buffer.concat([Buffer.from(label), from, to]), 32));
    const direction = (from: Buffer, to: Buffer): DirectionKey => {
      const chachaBytes = derive('nanite chacha20-poly1305 v2 ', from, to);
      return { gcm: createSecretKey(derive('nanite aes-256-gcm v2 ', from, to)), chacha: createSecretKey(chachaBytes), chachaBytes };
    };
    return { send: direction(this.kid, peerKid), receive: direction(peerKid, this.kid) };
  }
}

/** A peer credential that passed every check. */
export interface VerifiedCredential {
  identity: string;
  certificate: X509Certificate;
  kx: Buffer;
  kid: Buffer;
  /** The certificate's expiry (epoch ms): the cached verdict holds until then. */
  notAfter: number;
}

/** Why a credential was refused. */
export type CredentialFault = 'credential' | 'expired' | 'unknown-ca' | 'key-usage' | 'no-identity' | 'key-type' | 'bad-signature';

/** Verifies peers' credentials against the trusted CAs; remembers the last `max` verdicts that passed. */
export class CredentialVerifier {
  private readonly cache = new Map<string, VerifiedCredential>();

  constructor(
    private readonly cas: readonly X509Certificate[],
    private readonly max: number,
  ) {}

  /** The verified credential, or why it is refused. Never throws. */
  verify(bytes: Buffer, now: number): VerifiedCredential | CredentialFault {
    const key = createHash('sha256').update(bytes).digest('base64');
    const hit = this.cache.get(key);
    if (hit) return now <= hit.notAfter ? hit : 'expired';
    const parts = decodeCredential(bytes);
    if (typeof parts === 'string' || parts.kx.length !== KX_BYTES) return 'credential';
    let cert: X509Certificate;
    try {
      cert = new Cert(parts.cert);
    } catch {
      return 'credential'; // not DER: malformed, like any other bad byte
    }
    const check = checkCertificate(cert, this.cas, now);
    if (!check.ok) return check.reason;
    if (!verifyWith(cert.publicKey, Buffer.concat([CRED_CONTEXT, parts.signed]), parts.signature)) return 'bad-signature';
    const verified: VerifiedCredential = { identity: check.identity, certificate: cert, kx: Buffer.from(parts.kx), kid: keyId(parts.kx), notAfter: notAfter(cert) };
    this.cache.set(key, verified);
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string);
    return verified;
  }
}
