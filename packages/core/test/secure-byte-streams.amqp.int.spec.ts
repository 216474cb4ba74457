/** Byte streams in secure mode over amqp://: Buffers in, Buffers out, same SHA-256. */
import { AmqpTransport } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { makeCa } from './pki';
import { secureByteStreams } from './secure-byte-streams';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a secure byte stream and a secure byte upload over amqp:// deliver Buffers with the SHA-256 sent', async () => {
  const ca = await makeCa();
  const prefix = uniquePrefix('secure-bytes');
  try {
    const r = await secureByteStreams(ca, () => new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet }));
    expect(r.kinds.length).toBeGreaterThan(0);
    expect(new Set(r.kinds)).toEqual(new Set(['Buffer']));
    expect(r.received).toBe(r.sent);
    expect(new Set(r.uploadKinds)).toEqual(new Set(['Buffer']));
    expect(r.uploaded).toBe(r.sent);
  } finally {
    await removeTopology([prefix], ['/bytes/gen', '/bytes/digest']);
  }
}, 30_000);
