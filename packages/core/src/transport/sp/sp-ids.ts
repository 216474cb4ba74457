/**
 * Request and survey ids, and the backtrace that carries them.
 *
 * A REQ or SURVEYOR puts a 32-bit id with the high bit set in front of the body. Devices in
 * between push 4-byte hop ids (high bit clear) in front of it. A REP or RESPONDENT peels 4-byte
 * words off the front until one has the high bit set: those words are the backtrace, sent back
 * unchanged in front of the reply, so the reply retraces the path to the requester.
 */
import { randomInt } from 'node:crypto';

/** The high bit that marks the requester's own id (the end of a backtrace). */
export const SP_ID_END = 0x8000_0000;

/** Where the backtrace ends in `message`, i.e. the body's offset, or -1 when it is malformed (no end marker within `maxTtl` hops). */
export function backtraceLength(message: Buffer, maxTtl: number): number {
  for (let hop = 0; hop < maxTtl; hop++) {
    const at = hop * 4;
    if (at + 4 > message.length) return -1;
    if (message[at] & 0x80) return at + 4;
  }
  return -1;
}

/** The id at the front of a reply or survey answer, or -1 when it lacks one (short, or high bit clear). */
export function leadingId(message: Buffer): number {
  if (message.length < 4 || (message[0] & 0x80) === 0) return -1;
  return message.readUInt32BE(0);
}

/** The 4 bytes of `id` (big-endian). */
export function encodeId(id: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(id >>> 0, 0);
  return b;
}

/**
 * Hands out ids with the high bit set, unique among those in use: a random start (as nanomsg and
 * NNG do, so a restarted requester does not reuse its predecessor's ids), then increasing.
 */
export class SpIdAllocator {
  private next = randomInt(0, 0x7fff_ffff);

  /**
   * True when `id` is among the last `window` ids handed out: an answer carrying it that nobody
   * waits for is late rather than garbage. Costs nothing per request (ids are sequential).
   */
  issuedRecently(id: number, window = 1 << 20): boolean {
    if (id < SP_ID_END) return false;
    const age = (this.next - (id & 0x7fff_ffff) - 1) & 0x7fff_ffff;
    return age < window;
  }

  /** A new id not accepted by `inUse`. */
  allocate(inUse: (id: number) => boolean): number {
    for (;;) {
      const id = (SP_ID_END | this.next) >>> 0;
      this.next = (this.next + 1) & 0x7fff_ffff;
      if (!inUse(id)) return id;
    }
  }
}
