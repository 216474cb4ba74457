/**
 * The AEAD of sealed frames: two ciphers, the one used named by the frame's flags.
 *
 * - **ChaCha20-Poly1305** (IETF: 12-byte nonce, 16-byte tag) for bodies of at most
 *   {@link CHACHA_MAX} bytes, when the optional dependency `sodium-native` loads: libsodium's one-shot
 *   call on buffers we own seals a 180-byte body in ~1.4 µs and opens it in ~1.5 µs, where node:crypto
 *   needs a cipher object per message (createCipheriv, setAAD, update, final, getAuthTag: wrapped
 *   calls, three of them returning new Buffers) at ~10 µs either way, for either cipher.
 * - **AES-256-GCM** (node:crypto) for larger bodies, where OpenSSL's AES-NI code outruns libsodium's
 *   ChaCha20 (64 KiB: 38 vs 60 µs), for every body without `sodium-native`, and for every body with
 *   `aead: 'aes-256-gcm'` (a FIPS deployment, where ChaCha20 is not an approved cipher).
 *
 * Every endpoint opens both (node:crypto has ChaCha20-Poly1305 too, libsodium only speeds it up), so
 * peers with and without `sodium-native` talk. Each cipher has its own key per direction (see
 * `LocalCredential.directionKeys`); the nonce is the direction's sequence number, which never
 * repeats whichever cipher seals.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';

/** A sealed frame's cipher (its flag bits). */
export const CIPHER_GCM = 0;
export const CIPHER_CHACHA = 1;
export type Cipher = typeof CIPHER_GCM | typeof CIPHER_CHACHA;
/** Bytes of either cipher's tag. */
export const TAG_BYTES = 16;
/** Largest body sealed with ChaCha20-Poly1305 (measured crossover with AES-256-GCM: ~16 KiB). */
export const CHACHA_MAX = 16 * 1024;

const TAG = { authTagLength: TAG_BYTES };

/** The values of `security.aead`. */
export const AEAD_CHOICES = ['auto', 'aes-256-gcm'] as const;
/** Which AEAD seals: `auto` (ChaCha20-Poly1305 through sodium-native for bodies up to 16 KiB when it is installed, else AES-256-GCM) or AES-256-GCM only. */
export type AeadChoice = (typeof AEAD_CHOICES)[number];

/** True when `x` is one of {@link AEAD_CHOICES}. */
export function isAeadChoice(x: unknown): x is AeadChoice {
  return (AEAD_CHOICES as readonly unknown[]).includes(x);
}

/** The keys of one direction: one per cipher. */
export interface DirectionKey {
  readonly gcm: KeyObject;
  readonly chacha: KeyObject;
  /** The ChaCha20-Poly1305 key's bytes, for libsodium (node:crypto takes the KeyObject). */
  readonly chachaBytes: Buffer;
}

/** The two libsodium calls used, as sodium-native exposes them. */
interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(c: Buffer, mac: Buffer, m: Buffer, ad: Buffer | null, nsec: null, npub: Buffer, k: Buffer): number;
  /** Throws when the tag does not authenticate. */
  crypto_aead_chacha20poly1305_ietf_decrypt_detached(m: Buffer, nsec: null, c: Buffer, mac: Buffer, ad: Buffer | null, npub: Buffer, k: Buffer): void;
}

/** sodium-native, when installed and loadable on this platform; undefined otherwise (never throws). */
export function loadSodium(): SodiumAead | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional dependency, loaded on demand
    const mod = require('sodium-native') as Partial<SodiumAead>;
    return typeof mod.crypto_aead_chacha20poly1305_ietf_encrypt_detached === 'function' && typeof mod.crypto_aead_chacha20poly1305_ietf_decrypt_detached === 'function' ? (mod as SodiumAead) : undefined;
  } catch {
    return undefined;
  }
}

/** Seals and opens frame bodies; one per secure codec. */
export class Aead {
  /** What seals small bodies: `sodium-native` (ChaCha20-Poly1305) or `node:crypto` (AES-256-GCM). */
  readonly backend: 'sodium-native' | 'node:crypto';

  /** `sodium`: the libsodium binding to use (undefined: node:crypto alone). */
  constructor(private readonly sodium: SodiumAead | undefined) {
    this.backend = sodium ? 'sodium-native' : 'node:crypto';
  }

  /** The cipher for a body of `length` bytes. */
  cipherFor(length: number): Cipher {
    return this.sodium && length <= CHACHA_MAX ? CIPHER_CHACHA : CIPHER_GCM;
  }

  /**
   * Seals `head` followed by `data` (when given) into `frame` at `at`: the ciphertext, then the
   * tag. `aad` is authenticated, not encrypted.
   */
  seal(cipher: Cipher, key: DirectionKey, nonce: Buffer, aad: Buffer, head: Buffer, data: Buffer | undefined, frame: Buffer, at: number): void {
    const length = head.length + (data?.length ?? 0);
    if (cipher === CIPHER_CHACHA && this.sodium) {
      // In place: the body is copied where its ciphertext goes, then encrypted there.
      head.copy(frame, at);
      if (data) data.copy(frame, at + head.length);
      const body = frame.subarray(at, at + length);
      this.sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(body, frame.subarray(at + length, at + length + TAG_BYTES), body, aad, null, nonce, key.chachaBytes);
      return;
    }
    const c = cipher === CIPHER_CHACHA ? createCipheriv('chacha20-poly1305', key.chacha, nonce, TAG) : createCipheriv('aes-256-gcm', key.gcm, nonce, TAG);
    c.setAAD(aad, { plaintextLength: length });
    // Both are stream ciphers: update() returns every ciphertext byte, final() none.
    const n = c.update(head).copy(frame, at);
    if (data) c.update(data).copy(frame, at + n);
    c.final();
    c.getAuthTag().copy(frame, at + length);
  }

  /** The body of `ciphertext`, or undefined when `tag` does not authenticate it and `aad` (tampered, forged, or not for this key). */
  open(cipher: Cipher, key: DirectionKey, nonce: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | undefined {
    try {
      if (cipher === CIPHER_CHACHA && this.sodium) {
        const body = Buffer.allocUnsafe(ciphertext.length);
        this.sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(body, null, ciphertext, tag, aad, nonce, key.chachaBytes);
        return body;
      }
      // The tag's length fixed: without it GCM accepts a truncated tag (4 to 16 bytes).
      const d = cipher === CIPHER_CHACHA ? createDecipheriv('chacha20-poly1305', key.chacha, nonce, TAG) : createDecipheriv('aes-256-gcm', key.gcm, nonce, TAG);
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      d.setAuthTag(tag);
      const body = d.update(ciphertext);
      d.final(); // throws unless the tag authenticates every byte: nothing of `body` is used before
      return body;
    } catch {
      return undefined;
    }
  }
}
