/**
 * Certificate stores, certificate checks and the replay window, without a transport.
 */
import { X509Certificate } from 'node:crypto';
import { CachingCertificateStore, certificateIdentity, checkCertificate, StaticCertificateStore, type CertificateStore } from '../src';
import { ReplayWindow } from '../src/serializer/secure/replay-window';
import { issue, makeCa, type TestCa } from './pki';

let ca: TestCa;
let fred: X509Certificate;
beforeAll(async () => {
  ca = await makeCa();
  fred = new X509Certificate((await issue(ca, 'fred')).cert);
});

test('a static store holds PEM strings by identity and learns certificates', () => {
  const store = new StaticCertificateStore({ fred: fred.toString() });
  expect(store.get('fred')?.raw.equals(fred.raw)).toBe(true);
  expect(store.get('bob')).toBeUndefined();
  store.put('bob', fred);
  expect(store.size).toBe(2);
});

test('the caching proxy asks its store once per identity, even for concurrent lookups, and keeps at most max entries', async () => {
  let lookups = 0;
  const slow: CertificateStore = { get: async (id) => { lookups++; await new Promise((r) => setTimeout(r, 5)); return id.startsWith('f') ? fred : undefined; } };
  const cache = new CachingCertificateStore(slow, { max: 2 });
  const [a, b] = await Promise.all([cache.get('fred'), cache.get('fred')]);
  expect(a).toBe(fred);
  expect(b).toBe(fred);
  expect(lookups).toBe(1);
  expect(cache.get('fred')).toBe(fred); // synchronous hit
  await cache.get('f2');
  await cache.get('f3');
  await cache.get('fred'); // evicted by f2, f3: asked again
  expect(lookups).toBe(4);
  expect(cache.innerLookups).toBe(4);
});

test('a failing inner store rejects that lookup and the next one asks again', async () => {
  let fail = true;
  const cache = new CachingCertificateStore({ get: async () => { if (fail) throw new Error('down'); return fred; } });
  await expect(cache.get('fred')).rejects.toThrow('down');
  fail = false;
  await expect(cache.get('fred')).resolves.toBe(fred);
});

test('certificate checks: identity from CN, trusted CA, dates', async () => {
  expect(certificateIdentity(fred)).toBe('fred');
  const cas = [new X509Certificate(ca.pem)];
  expect(checkCertificate(fred, cas, Date.now())).toEqual({ ok: true, identity: 'fred' });
  expect(checkCertificate(fred, cas, Date.now() + 400 * 86_400_000)).toEqual({ ok: false, reason: 'expired' });
  const rogue = await makeCa('Rogue');
  expect(checkCertificate(fred, [new X509Certificate(rogue.pem)], Date.now())).toEqual({ ok: false, reason: 'unknown-ca' });
  // A leaf is no CA: it cannot vouch for another leaf.
  expect(checkCertificate(fred, [fred], Date.now())).toEqual({ ok: false, reason: 'unknown-ca' });
});

test('the replay window accepts each number once, tolerates reordering within its size, drops older ones', () => {
  const w = new ReplayWindow(64);
  expect(w.accept(1)).toBe(true);
  expect(w.accept(1)).toBe(false);
  expect(w.accept(5)).toBe(true);
  expect(w.accept(3)).toBe(true);
  expect(w.accept(3)).toBe(false);
  expect(w.accept(100)).toBe(true);
  expect(w.accept(36)).toBe(false); // 64 behind the highest: too old
  expect(w.accept(37)).toBe(true);
  expect(w.accept(-1)).toBe(false);
  expect(w.accept(1.5)).toBe(false);
});
