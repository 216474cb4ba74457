/**
 * X.509 checks with node:crypto: loading PEM (text or file), chain to a configured CA, validity
 * dates, key usage, and the identity a certificate names.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NaniteError } from '../../errors';

/** PEM text as given, or the content of the file it names. Throws `NANITE_ERR_CERTIFICATE` for an unreadable file. */
export function readPemOrFile(value: string, what: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `Cannot read the ${what} "${value}": ${(err as Error).message}`, cause: err });
  }
}

/** The PEM blocks of a text (a CA bundle may hold several). */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g) ?? [];
}

/** Parses the certificates of PEM texts or files; throws `NANITE_ERR_CERTIFICATE` when none is found. */
export function loadCertificates(values: string | readonly string[], what: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const v of typeof values === 'string' ? [values] : values) {
    for (const pem of splitPem(readPemOrFile(v, what))) {
      try {
        out.push(new X509Certificate(pem));
      } catch (err) {
        throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `The ${what} is not a valid X.509 certificate: ${(err as Error).message}`, cause: err });
      }
    }
  }
  if (out.length === 0) throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `No PEM certificate found in the ${what}` });
  return out;
}

/** Loads a private key (PEM text or file). */
export function loadPrivateKey(value: string): KeyObject {
  try {
    return createPrivateKey(readPemOrFile(value, 'private key'));
  } catch (err) {
    if (err instanceof NaniteError) throw err;
    throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `The private key is not a valid PEM key: ${(err as Error).message}`, cause: err });
  }
}

/** The identity a certificate names: its subject CN, else its first DNS or URI subject alternative name. */
export function certificateIdentity(cert: X509Certificate): string | undefined {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=') && line.length > 3) return line.slice(3);
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    const m = /^(DNS|URI):(.+)$/.exec(part);
    if (m) return m[2];
  }
  return undefined;
}

const KEY_USAGE_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
/** Key-usage bits (first byte of the BIT STRING, most significant first). */
export const KEY_USAGE = { digitalSignature: 0x80, keyCertSign: 0x04 } as const;

/** The first byte of a certificate's key-usage bits, or undefined when it has no key-usage extension. */
export function keyUsageBits(cert: X509Certificate): number | undefined {
  const der = cert.raw;
  let i = der.indexOf(KEY_USAGE_OID);
  if (i < 0) return undefined;
  i += KEY_USAGE_OID.length;
  if (der[i] === 0x01) i += 3; // critical flag: BOOLEAN
  // OCTET STRING { BIT STRING { unused-bits, bits... } }
  if (der[i] !== 0x04 || der[i + 2] !== 0x03) return 0;
  const len = der[i + 3] ?? 0;
  return len >= 2 ? (der[i + 5] ?? 0) : 0;
}

function inDates(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** Milliseconds since the epoch at which a certificate stops being valid. */
export function notAfter(cert: X509Certificate): number {
  return Date.parse(cert.validTo);
}

/** The reason a certificate is refused, or its identity when it is accepted. */
export type CertificateCheck = { ok: true; identity: string } | { ok: false; reason: 'expired' | 'unknown-ca' | 'key-usage' | 'no-identity' | 'key-type' };

/** The key types a fabric certificate may hold. */
export function isSupportedKey(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ed25519' || (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
}

/**
 * Checks a leaf certificate: issued and signed by one of `cas` (each a CA certificate inside its
 * own validity dates, allowed to sign certificates), inside its validity dates, allowed to sign
 * (digitalSignature) when it restricts key usage, holding an ECDSA P-256 or Ed25519 key, and naming an identity.
 */
export function checkCertificate(cert: X509Certificate, cas: readonly X509Certificate[], now: number): CertificateCheck {
  if (!inDates(cert, now)) return { ok: false, reason: 'expired' };
  const trusted = cas.some((ca) => {
    if (!ca.ca || !inDates(ca, now)) return false;
    const caUsage = keyUsageBits(ca);
    if (caUsage !== undefined && (caUsage & KEY_USAGE.keyCertSign) === 0) return false;
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  });
  if (!trusted) return { ok: false, reason: 'unknown-ca' };
  const usage = keyUsageBits(cert);
  if (usage !== undefined && (usage & KEY_USAGE.digitalSignature) === 0) return { ok: false, reason: 'key-usage' };
  if (!isSupportedKey(cert.publicKey)) return { ok: false, reason: 'key-type' };
  const identity = certificateIdentity(cert);
  return identity ? { ok: true, identity } : { ok: false, reason: 'no-identity' };
}

/** True when `address` (an agent identity or mapper id) belongs to certificate identity `identity`: equal, or `identity#suffix`. */
export function isBoundTo(address: string, identity: string): boolean {
  return address === identity || (address.length > identity.length + 1 && address.startsWith(identity) && address[identity.length] === '#');
}
