/**
 * The AEAD of sealed frames (aead.ts): ChaCha20-Poly1305 through sodium-native for small bodies,
 * AES-256-GCM through node:crypto otherwise, and every endpoint opening both — so peers with and
 * without sodium-native, or set to AES-256-GCM only, talk to each other, and a frame's cipher flag
 * cannot be switched under it.
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import { Aead, CHACHA_MAX, CIPHER_CHACHA, CIPHER_GCM, loadSodium, TAG_BYTES, type Cipher, type DirectionKey } from '../src/serializer/secure/aead';
import { decodeFrame, type SealedFrame } from '../src/serializer/secure/frame';
import { pairedCodecs } from './secure-codecs';

const sodium = loadSodium();

function key(): DirectionKey {
  const chachaBytes = randomBytes(32);
  return { gcm: createSecretKey(randomBytes(32)), chacha: createSecretKey(chachaBytes), chachaBytes };
}

/** Seals `body` (split into head + data at `split`, as a byte chunk's parts are) with `sealer`; returns the frame's parts. */
function sealWith(sealer: Aead, cipher: Cipher, k: DirectionKey, nonce: Buffer, aad: Buffer, body: Buffer, split = body.length): { ciphertext: Buffer; tag: Buffer } {
  const frame = Buffer.alloc(aad.length + body.length + TAG_BYTES);
  aad.copy(frame);
  const data = split < body.length ? body.subarray(split) : undefined;
  sealer.seal(cipher, k, nonce, aad, body.subarray(0, split), data, frame, aad.length);
  return { ciphertext: frame.subarray(aad.length, aad.length + body.length), tag: frame.subarray(aad.length + body.length) };
}

describe('sealed-frame AEAD', () => {
  test('sodium-native is installed here (the optional dependency), so both backends are exercised', () => {
    expect(sodium).toBeDefined();
  });

  const fast = new Aead(sodium);
  const plain = new Aead(undefined);

  test('small bodies take ChaCha20-Poly1305 when sodium-native is there, larger ones and every body without it AES-256-GCM', () => {
    expect(fast.backend).toBe('sodium-native');
    expect(plain.backend).toBe('node:crypto');
    expect(fast.cipherFor(0)).toBe(CIPHER_CHACHA);
    expect(fast.cipherFor(CHACHA_MAX)).toBe(CIPHER_CHACHA);
    expect(fast.cipherFor(CHACHA_MAX + 1)).toBe(CIPHER_GCM);
    expect(plain.cipherFor(100)).toBe(CIPHER_GCM);
  });

  const backends = [
    ['sodium-native', fast],
    ['node:crypto', plain],
  ] as const;
  const sizes = [0, 1, 180, 4096, CHACHA_MAX, CHACHA_MAX + 1, 70_000];

  for (const cipher of [CIPHER_CHACHA, CIPHER_GCM] as const) {
    for (const [sealerName, sealer] of backends) {
      for (const [openerName, opener] of backends) {
        test(`${cipher === CIPHER_CHACHA ? 'ChaCha20-Poly1305' : 'AES-256-GCM'} sealed by ${sealerName} opens with ${openerName}, body split or whole`, () => {
          const k = key();
          for (const size of sizes) {
            const body = randomBytes(size);
            const aad = randomBytes(40);
            const nonce = randomBytes(12);
            for (const split of [size, Math.floor(size / 3)]) {
              const { ciphertext, tag } = sealWith(sealer, cipher, k, nonce, aad, body, split);
              if (size > 16) expect(ciphertext.equals(body)).toBe(false);
              expect(opener.open(cipher, k, nonce, aad, ciphertext, tag)?.equals(body)).toBe(true);
            }
          }
        });
      }
    }
  }

  test('a flipped bit anywhere (ciphertext, tag, associated data, nonce), another key or the other cipher: not opened, never a throw', () => {
    for (const [, aead] of backends) {
      for (const cipher of [CIPHER_CHACHA, CIPHER_GCM] as const) {
        const k = key();
        const body = randomBytes(300);
        const aad = randomBytes(40);
        const nonce = randomBytes(12);
        const { ciphertext, tag } = sealWith(aead, cipher, k, nonce, aad, body);
        const flip = (b: Buffer, i: number): Buffer => {
          const c = Buffer.from(b);
          c[i] ^= 0x01;
          return c;
        };
        expect(aead.open(cipher, k, nonce, aad, flip(ciphertext, 17), tag)).toBeUndefined();
        expect(aead.open(cipher, k, nonce, aad, ciphertext, flip(tag, 3))).toBeUndefined();
        expect(aead.open(cipher, k, nonce, flip(aad, 39), ciphertext, tag)).toBeUndefined();
        expect(aead.open(cipher, k, flip(nonce, 11), aad, ciphertext, tag)).toBeUndefined();
        expect(aead.open(cipher, key(), nonce, aad, ciphertext, tag)).toBeUndefined();
        expect(aead.open(cipher === CIPHER_CHACHA ? CIPHER_GCM : CIPHER_CHACHA, k, nonce, aad, ciphertext, tag)).toBeUndefined();
        expect(aead.open(cipher, k, nonce, aad, ciphertext, tag.subarray(0, 8))).toBeUndefined();
        expect(aead.open(cipher, k, nonce, aad, ciphertext, tag)?.equals(body)).toBe(true);
      }
    }
  });
});

describe('sealed frames between endpoints with different AEAD choices', () => {
  const request = (id: number, payload: unknown): { type: string } => ({ v: 1, type: 'request', id, route: '/a/b', replyTo: 'web', timeout: 1000, hops: 0, payload }) as { type: string };
  const frameOf = (outer: Record<string, unknown>): SealedFrame => decodeFrame(outer.sec as Buffer) as SealedFrame;

  test("an `auto` mapper and an `aes-256-gcm` agent: each seals with its own choice and opens the other's", async () => {
    const { agent, mapper } = await pairedCodecs({ agent: 'aes-256-gcm', mapper: 'auto' });
    const out = mapper.seal(request(5, { n: 1 }), 'fred')!;
    expect(frameOf(out).cipher).toBe(CIPHER_CHACHA);
    const opened = agent.open(out);
    if (typeof opened === 'string') throw new Error(opened);
    expect((opened.packet as { payload: unknown }).payload).toEqual({ n: 1 });
    const reply = agent.seal({ v: 1, type: 'result', id: 5, from: 'fred', ok: true, result: 'x'.repeat(100) } as { type: string }, 'web')!;
    expect(frameOf(reply).cipher).toBe(CIPHER_GCM);
    const back = mapper.open(reply);
    if (typeof back === 'string') throw new Error(back);
    expect((back.packet as { result: unknown }).result).toBe('x'.repeat(100));
  });

  test('an `auto` endpoint seals a body over 16 KiB with AES-256-GCM', async () => {
    const { agent, mapper } = await pairedCodecs();
    const out = mapper.seal(request(6, 'y'.repeat(CHACHA_MAX + 100)), 'fred')!;
    expect(frameOf(out).cipher).toBe(CIPHER_GCM);
    expect(typeof agent.open(out)).toBe('object');
  });

  test('the cipher flag is authenticated: switched, or unknown, the frame is dropped', async () => {
    const { agent, mapper } = await pairedCodecs();
    const out = mapper.seal(request(7, 1), 'fred')!;
    const sec = Buffer.from(out.sec as Buffer);
    sec[3] = CIPHER_GCM;
    expect(agent.open({ ...out, sec })).toBe('undecryptable');
    sec[3] = 7;
    expect(agent.open({ ...out, sec })).toBe('undecodable');
    // A frame of version 1 (AES-256-GCM alone, another key label) is not read as this one.
    const v1 = Buffer.from(out.sec as Buffer);
    v1[1] = 1;
    expect(agent.open({ ...out, sec: v1 })).toBe('undecodable');
    // Untouched, it opens (and only once: the sequence number is spent).
    expect(typeof agent.open(out)).toBe('object');
    expect(agent.open(out)).toBe('replay');
  });
});
