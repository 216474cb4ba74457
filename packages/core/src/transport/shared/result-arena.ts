/**
 * One fixed buffer that an agent's recent results are copied into, first in first out, so that
 * keeping them costs no allocation per result (see reply-cache.ts, which decides what is kept).
 *
 * Why not keep the buffers the results were published from: those are views of the whole
 * published frame, each its own `ArrayBuffer` past 4 KiB (or pinning an 8 KiB slab of Node's pool
 * below it). Kept for thousands of requests they outlive the young generation, are freed only by
 * major collections, and the allocator keeps asking the system for fresh pages in between:
 * measured on a 4 KB echo at concurrency 1 (bench/amqp, responder): ~1.7 page faults per request
 * against ~0.03 for a raw amqplib responder, and twice its round-trip time. Copied here (a memcpy
 * of the result), the frame dies young and this buffer's pages are touched once.
 *
 * Results are written one after the other and wrap to the start when the end is reached; before a
 * write, the cache evicts the oldest results whose bytes the write would reach (`store`'s
 * `makeRoom`). A result larger than `itemMax` is not copied (the cache keeps its own buffer).
 */
export class ResultArena {
  private buf: Buffer | undefined;
  private head = 0;
  /** The last result stored and where: the results of one message (a secure bundle) share one copy. */
  private lastSource: Buffer | undefined;
  private lastOffset = 0;

  constructor(
    /** Bytes of the arena (allocated at the first store). */
    readonly size: number,
    /** Largest result copied in. */
    readonly itemMax: number,
  ) {}

  /**
   * Copies `bytes` in and returns its offset, or -1 when it is too large to be copied (keep it
   * as it is). Before writing, calls `makeRoom(clash)` once: the caller must evict, oldest first,
   * every result for which `clash(offset, length)` is true (a result kept outside the arena has
   * offset -1 and always clashes: results are evicted in order).
   */
  store(bytes: Buffer, makeRoom: (clash: (offset: number, length: number) => boolean) => void): number {
    const n = bytes.length;
    if (n > this.itemMax) return -1;
    if (bytes === this.lastSource) return this.lastOffset;
    const buf = (this.buf ??= Buffer.allocUnsafeSlow(this.size));
    // Past the end: wrap, and the tail left unused goes with the oldest results in it.
    const from = this.head;
    const start = from + n > this.size ? 0 : from;
    const end = start + n;
    const tailFrom = start === from ? this.size : from;
    makeRoom((offset, length) => offset < 0 || offset >= tailFrom || (offset < end && offset + length > start));
    bytes.copy(buf, start);
    this.head = end;
    this.lastSource = bytes;
    this.lastOffset = start;
    return start;
  }

  /** The bytes stored at `offset` (a view: copy it before anything else is stored). */
  view(offset: number, length: number): Buffer {
    return (this.buf as Buffer).subarray(offset, offset + length);
  }

  /** Forgets every result (the buffer is kept for reuse). */
  clear(): void {
    this.head = 0;
    this.lastSource = undefined;
  }
}
