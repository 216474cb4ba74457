/** Byte streams in secure mode over memory://: Buffers in, Buffers out, same SHA-256. */
import { MemoryBusRegistry, MemoryTransport } from '../src';
import { makeCa } from './pki';
import { secureByteStreams } from './secure-byte-streams';

test('a secure byte stream and a secure byte upload over memory:// deliver Buffers with the SHA-256 sent', async () => {
  const ca = await makeCa();
  const registry = new MemoryBusRegistry();
  const r = await secureByteStreams(ca, () => new MemoryTransport({ name: 'secure-bytes', registry }));
  expect(r.kinds.length).toBeGreaterThan(0);
  expect(new Set(r.kinds)).toEqual(new Set(['Buffer']));
  expect(r.received).toBe(r.sent);
  expect(new Set(r.uploadKinds)).toEqual(new Set(['Buffer']));
  expect(r.uploaded).toBe(r.sent);
});
