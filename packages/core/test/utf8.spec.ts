/**
 * internal/utf8.ts: the ASCII-first encoding gives exactly Node's UTF-8 bytes for any string,
 * including non-ASCII text, astral characters and lone surrogates (which Node writes as U+FFFD).
 */
import fc from 'fast-check';
import { utf8Bytes, writeAscii } from '../src/internal/utf8';

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: anyUnit, maxLength: 200 }),
);

describe('utf8Bytes', () => {
  it('equals Buffer.from for any string', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(utf8Bytes(text).equals(Buffer.from(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('equals Buffer.from on large text, ASCII or with one non-ASCII character anywhere', () => {
    const json = JSON.stringify({ a: 1, s: 'x'.repeat(70_000) });
    for (const text of [json, `é${json}`, `${json.slice(0, 30_000)}\u{1F600}${json.slice(30_000)}`, `${json}\uD800`]) {
      expect(utf8Bytes(text).equals(Buffer.from(text))).toBe(true);
    }
  });
});

describe('writeAscii', () => {
  it('is true exactly for ASCII text, whose bytes it then wrote', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const out = Buffer.alloc(text.length);
        const ascii = [...text].every((c) => c.charCodeAt(0) < 0x80);
        expect(writeAscii(text, out)).toBe(ascii);
        if (ascii) expect(out.equals(Buffer.from(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
