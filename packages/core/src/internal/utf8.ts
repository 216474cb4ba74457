/**
 * UTF-8 encoding of text that is almost always ASCII (JSON of JavaScript values mostly is).
 *
 * Node's `Buffer.from(text)` and `Buffer.byteLength(text)` first count the UTF-8 bytes of the whole
 * string, a pass that costs two to three times the encoding itself on large text (64 KiB of JSON:
 * `Buffer.from` ~10 µs, this ~4 µs; measured in BENCHMARKS.md, "Run 14"). Laid out as if it
 * were ASCII (UTF-8 length = length) and encoded with `encodeInto`, which says how much of it fitted,
 * ASCII text needs no count; other text is encoded again at its exact length.
 */

/** Stateless: one per module is enough. */
const encoder = new TextEncoder();

/**
 * Writes `text` into `out` (exactly `text.length` bytes long) and returns true when `text` is
 * ASCII; otherwise returns false, with `out` partly written (the caller encodes at the exact length).
 */
export function writeAscii(text: string, out: Uint8Array): boolean {
  return encoder.encodeInto(text, out).read === text.length;
}

/** `Buffer.from(text)` (UTF-8), faster for ASCII text. */
export function utf8Bytes(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  return writeAscii(text, out) ? out : Buffer.from(text);
}
