/** SP framing and the connection header, without sockets. */
import fc from 'fast-check';
import { encodeFrame, SpFrameDecoder, type SpFraming } from '../src/transport/sp/sp-frame';
import { checkSpHeader, encodeSpHeader } from '../src/transport/sp/sp-handshake';
import { backtraceLength, leadingId, SpIdAllocator } from '../src/transport/sp/sp-ids';
import { formatSpUrl, parseSpUrl } from '../src/transport/sp/sp-url';

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

function decodeAll(framing: SpFraming, chunks: Buffer[], max = 1 << 20): { messages: Buffer[]; fault: string | undefined } {
  const d = new SpFrameDecoder(framing, max);
  const messages: Buffer[] = [];
  let fault: string | undefined;
  for (const c of chunks) fault ??= d.push(c, (m) => messages.push(Buffer.from(m)));
  return { messages, fault };
}

const framings: SpFraming[] = ['tcp', 'ipc'];

describe.each(framings)('SP framing over %s', (framing) => {
  it('writes a 64-bit big-endian length in front of each message (ipc: after the 0x01 type byte)', () => {
    const f = encodeFrame(framing, [Buffer.from([0x80, 0, 0, 1]), Buffer.from('hi')]);
    const prefix = framing === 'ipc' ? [1] : [];
    expect([...f]).toEqual([...prefix, 0, 0, 0, 0, 0, 0, 0, 6, 0x80, 0, 0, 1, 0x68, 0x69]);
  });

  it('decodes any chunking of a valid stream into the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (bodies, offsets) => {
          const stream = Buffer.concat(bodies.map((b) => encodeFrame(framing, [b])));
          const { messages, fault } = decodeAll(framing, cut(stream, offsets));
          expect(fault).toBeUndefined();
          expect(messages.map((m) => [...m])).toEqual(bodies.map((b) => [...b]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on random garbage and, once faulted, stays faulted', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }), (chunks) => {
        const d = new SpFrameDecoder(framing, 4096);
        let first: string | undefined;
        for (const c of chunks) {
          const f = d.push(Buffer.from(c), () => undefined);
          if (first) expect(f).toBe(first);
          first ??= f;
        }
        expect(d.buffered).toBeLessThanOrEqual(4096 + 9 + 200);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a length over maxMessageSize as soon as the prefix is in, without buffering the body', () => {
    const d = new SpFrameDecoder(framing, 100);
    const ok = encodeFrame(framing, [Buffer.alloc(100)]);
    const seen: number[] = [];
    expect(d.push(ok, (m) => seen.push(m.length))).toBeUndefined();
    expect(seen).toEqual([100]);
    const big = encodeFrame(framing, [Buffer.alloc(101)]).subarray(0, framing === 'ipc' ? 9 : 8);
    expect(d.push(big, () => undefined)).toBe('oversized');
    expect(d.buffered).toBe(0);
  });

  it('refuses a length with the high 32 bits set (64-bit lengths beyond any limit)', () => {
    const prefix = Buffer.from([...(framing === 'ipc' ? [1] : []), 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(new SpFrameDecoder(framing, 1 << 30).push(prefix, () => undefined)).toBe('oversized');
  });
});

describe('ipc message type', () => {
  it('refuses a message type other than 0x01', () => {
    const f = encodeFrame('ipc', [Buffer.from('x')]);
    f[0] = 2;
    expect(new SpFrameDecoder('ipc', 100).push(f, () => undefined)).toBe('bad-message-type');
  });
});

describe('SP connection header', () => {
  it('is 00 S P 00, the protocol id (u16 BE) and two zero bytes', () => {
    expect([...encodeSpHeader('req')]).toEqual([0, 0x53, 0x50, 0, 0, 0x30, 0, 0]);
    expect([...encodeSpHeader('rep')]).toEqual([0, 0x53, 0x50, 0, 0, 0x31, 0, 0]);
    expect([...encodeSpHeader('surveyor')]).toEqual([0, 0x53, 0x50, 0, 0, 0x62, 0, 0]);
    expect([...encodeSpHeader('respondent')]).toEqual([0, 0x53, 0x50, 0, 0, 0x63, 0, 0]);
  });

  it('accepts only the matching peer protocol', () => {
    expect(checkSpHeader(encodeSpHeader('rep'), 'req')).toBeUndefined();
    expect(checkSpHeader(encodeSpHeader('req'), 'rep')).toBeUndefined();
    expect(checkSpHeader(encodeSpHeader('respondent'), 'surveyor')).toBeUndefined();
    expect(checkSpHeader(encodeSpHeader('surveyor'), 'respondent')).toBeUndefined();
    expect(checkSpHeader(encodeSpHeader('req'), 'req')).toBe('wrong-protocol');
    expect(checkSpHeader(encodeSpHeader('surveyor'), 'rep')).toBe('wrong-protocol');
  });

  it('refuses a wrong magic or non-zero reserved bytes', () => {
    expect(checkSpHeader(Buffer.from('GET / HT'), 'rep')).toBe('bad-header');
    const h = encodeSpHeader('req');
    h[7] = 1;
    expect(checkSpHeader(h, 'rep')).toBe('bad-header');
  });
});

describe('backtraces', () => {
  it('ends at the first 4-byte word with the high bit set', () => {
    const direct = Buffer.from([0x80, 0, 0, 7, 0x61]);
    expect(backtraceLength(direct, 8)).toBe(4);
    const viaDevice = Buffer.from([0, 0, 0, 3, 0x80, 0, 0, 7, 0x61]);
    expect(backtraceLength(viaDevice, 8)).toBe(8);
  });

  it('is malformed without an end marker, or with more hops than maxTtl', () => {
    expect(backtraceLength(Buffer.from([0, 0, 0, 1, 0x61]), 8)).toBe(-1);
    expect(backtraceLength(Buffer.from([0x80, 0]), 8)).toBe(-1);
    const hops = Buffer.concat([Buffer.alloc(8 * 4), Buffer.from([0x80, 0, 0, 1])]);
    expect(backtraceLength(hops, 8)).toBe(-1);
    expect(backtraceLength(hops, 9)).toBe(36);
  });

  it('reads the id in front of a reply only when its high bit is set', () => {
    expect(leadingId(Buffer.from([0x80, 0, 1, 2, 9]))).toBe(0x80000102);
    expect(leadingId(Buffer.from([0, 0, 1, 2, 9]))).toBe(-1);
    expect(leadingId(Buffer.from([0x80]))).toBe(-1);
  });
});

describe('SP URLs', () => {
  it('parses tcp and ipc addresses', () => {
    expect(parseSpUrl('tcp://127.0.0.1:0')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(parseSpUrl('tcp://*:5555')).toEqual({ kind: 'tcp', host: '', port: 5555 });
    expect(parseSpUrl('tcp://[::1]:80')).toEqual({ kind: 'tcp', host: '::1', port: 80 });
    expect(parseSpUrl('ipc:///tmp/x.sock')).toEqual({ kind: 'ipc', path: '/tmp/x.sock' });
    expect(formatSpUrl({ kind: 'tcp', host: '::1', port: 80 })).toBe('tcp://[::1]:80');
  });

  it.each(['http://x:1', 'tcp://host', 'tcp://h:99999', 'tcp://::1:5', 'ipc://', 'tcp://h:1/x'])('refuses %s with NANITE_ERR_INVALID_ARGUMENT', (url) => {
    expect(() => parseSpUrl(url)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });
});

describe('SP ids', () => {
  it('hands out ids with the high bit set, skipping ids in use, and knows which it issued recently', () => {
    const ids = new SpIdAllocator();
    const a = ids.allocate(() => false);
    const b = ids.allocate((id) => id === ((a + 1) | 0x8000_0000) >>> 0);
    expect(a).toBeGreaterThanOrEqual(0x8000_0000);
    expect(b).toBeGreaterThanOrEqual(0x8000_0000);
    expect(b).not.toBe(a);
    expect(ids.issuedRecently(a)).toBe(true);
    expect(ids.issuedRecently(b)).toBe(true);
    expect(ids.issuedRecently(((b + 1) | 0x8000_0000) >>> 0)).toBe(false);
    expect(ids.issuedRecently(a & 0x7fff_ffff)).toBe(false);
  });
});
