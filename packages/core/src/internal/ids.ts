import { randomBytes, randomFillSync } from 'node:crypto';
import { hostname } from 'node:os';
import { NaniteError } from '../errors';

/** A short random suffix, hex. */
export function randomSuffix(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

/** A generated identity: readable (host and pid) and unique (random suffix). */
export function generateIdentity(kind: 'agent' | 'mapper'): string {
  return `${kind}-${hostname()}-${process.pid}-${randomSuffix()}`;
}

const TWO_POW_32 = 0x1_0000_0000;

/**
 * Unguessable request ids: random 53-bit safe integers. A peer on the broker that sprays ids
 * 0..N at a mapper must not hit a pending request, so ids are neither sequential nor predictable.
 * Random words are drawn from the CSPRNG in batches (one syscall per `batch` ids) to keep the
 * hot path cheap.
 */
export class RequestIdPool {
  private readonly words: Uint32Array;
  private next: number;

  constructor(private readonly batch = 1024) {
    this.words = new Uint32Array(batch * 2);
    this.next = this.words.length;
  }

  /** A random safe integer for which `taken(id)` is false. */
  take(taken: (id: number) => boolean): number {
    for (;;) {
      const id = this.draw();
      if (!taken(id)) return id;
    }
  }

  private draw(): number {
    if (this.next >= this.words.length) {
      randomFillSync(this.words);
      this.next = 0;
    }
    const hi = this.words[this.next++]! & 0x1f_ffff; // 21 bits: hi * 2^32 + lo stays below 2^53
    const lo = this.words[this.next++]!;
    return hi * TWO_POW_32 + lo;
  }
}

/** Ids below this stay small integers (V8 Smis: no heap number per id, cheaper table keys). */
const LOCAL_ID_SPAN = 0x4000_0000;

/**
 * Request ids for a link whose packets never leave this process (memory://): a counter. Ids are
 * unguessable ({@link RequestIdPool}) so that a peer on a broker cannot answer requests it never
 * received; on an in-process link every party that could reply is code in this process, which can
 * already reach the mapper itself, so a random id would protect nothing. Wraps after 2^30 ids;
 * `taken` still skips any id in use.
 */
export class LocalIdCounter {
  private last = 0;

  /** The next id for which `taken(id)` is false. */
  take(taken: (id: number) => boolean): number {
    for (;;) {
      const id = this.last === LOCAL_ID_SPAN - 1 ? 1 : this.last + 1;
      this.last = id;
      if (!taken(id)) return id;
    }
  }
}

/** Longest identity an agent or mapper may be given (it names queues and appears in every packet). */
export const MAX_IDENTITY_LENGTH = 200;

/**
 * An identity given in options: a non-empty string of at most {@link MAX_IDENTITY_LENGTH}
 * characters, none a control character (it reaches logs, terminals and queue names). Throws
 * `NANITE_ERR_INVALID_ARGUMENT`; `undefined` passes (a generated one is used).
 */
export function checkIdentity(kind: 'agent' | 'mapper', identity: unknown): string | undefined {
  if (identity === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (typeof identity !== 'string' || identity.length === 0 || identity.length > MAX_IDENTITY_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(identity)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
      message: `${kind} identity must be a non-empty string of at most ${MAX_IDENTITY_LENGTH} characters without control characters, got ${typeof identity === 'string' ? JSON.stringify(identity.slice(0, 40)) : typeof identity}`,
      data: { option: 'identity' },
    });
  }
  return identity;
}

/** Agent tags given in options: an array of non-empty strings; throws `NANITE_ERR_INVALID_ARGUMENT`. */
export function checkTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'tags must be an array of non-empty strings', data: { option: 'tags' } });
  }
  return [...(tags as string[])];
}
