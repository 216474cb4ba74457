/**
 * Which path each stream runs on in direct mode. A stream's packets (chunks, credit, its end and
 * its result) must arrive in order, so they all take the path its request took: the SP pipe it
 * came on, or the control plane. Without this, a pipe that comes up mid-stream (the mapper dials
 * an agent when it hears its Register) would send later chunks ahead of earlier ones.
 */

/** Most streams pinned at once; past it a new stream takes the control plane. */
export const MAX_PINNED_STREAMS = 65_536;

/** True for a request whose result is a stream or that is followed by an upload. */
export function isStreamRequest(packet: unknown): boolean {
  if (typeof packet !== 'object' || packet === null) return false;
  const p = packet as { type?: unknown; stream?: unknown; upload?: unknown };
  return p.type === 'request' && (p.stream !== undefined || p.upload === true);
}

/** Streams pinned to a pipe, by key (bounded by {@link MAX_PINNED_STREAMS}). */
export class StreamPins<K, P> {
  private readonly pins = new Map<K, P>();

  /** Pins `key` to `pipe`; false (not pinned) when full. */
  pin(key: K, pipe: P): boolean {
    if (this.pins.size >= MAX_PINNED_STREAMS && !this.pins.has(key)) return false;
    this.pins.set(key, pipe);
    return true;
  }

  get(key: K): P | undefined {
    return this.pins.get(key);
  }

  has(key: K): boolean {
    return this.pins.has(key);
  }

  unpin(key: K): void {
    this.pins.delete(key);
  }

  /** Forgets every stream on `pipe` (it went down). */
  unpinPipe(pipe: P): void {
    for (const [k, p] of this.pins) if (p === pipe) this.pins.delete(k);
  }

  get size(): number {
    return this.pins.size;
  }

  clear(): void {
    this.pins.clear();
  }
}
