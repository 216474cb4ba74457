/**
 * Secure mode on memory://: honest traffic flows (payloads sealed end to end), and what an
 * outsider or an impostor sends is dropped and counted.
 */
import { Agent, createTransport, defineActor, Mapper, MemoryBusRegistry, MemoryTransport, NaniteError, SecureTransport, type SecurityOptions } from '../src';
import { issue, KeyUsage, makeCa, type TestCa } from './pki';

describe('secure mode (memory://)', () => {
  let ca: TestCa;
  let other: TestCa;
  const registry = new MemoryBusRegistry();
  let n = 0;
  let closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    ca = await makeCa();
    other = await makeCa('Rogue CA');
  });
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  const sec = async (name: string, extra: Partial<SecurityOptions> = {}, from = ca): Promise<SecurityOptions> => ({ ...(await issue(from, name)), ca: ca.pem, ...extra });
  const bus = (): (() => MemoryTransport) => {
    const name = `secure-${++n}`;
    return () => new MemoryTransport({ name, registry });
  };

  test('requests and results flow; the agent identity is its certificate CN; the mapper id is bound to its certificate', async () => {
    const t = bus();
    const seen: unknown[] = [];
    const agent = new Agent({ transport: t(), security: await sec('fred'), actors: [defineActor('echo', { hi: (p: unknown) => p })], pingInterval: 200 });
    const mapper = new Mapper({ transport: t(), security: await sec('web'), discoveryWindow: 0 });
    closers.push(() => agent.stop(), () => mapper.close());
    expect(agent.identity).toBe('fred');
    expect(mapper.identity).toMatch(/^web#/);
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 1, timeout: 5_000 });
    for (let i = 0; i < 20; i++) seen.push(await mapper.request('/echo/hi', { i, secret: 'swordfish' }));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => ({ i, secret: 'swordfish' })));
  });

  test("an agent on AES-256-GCM only (`aead: 'aes-256-gcm'`) and a mapper on `auto` (ChaCha20-Poly1305 via sodium-native) serve each other; stats say which seals", async () => {
    const t = bus();
    const agentTransport = new SecureTransport(t(), await sec('fred', { aead: 'aes-256-gcm' }));
    const mapperTransport = new SecureTransport(t(), await sec('web'));
    const agent = new Agent({ transport: agentTransport, actors: [defineActor('echo', { hi: (p: unknown) => p })], pingInterval: 200 });
    const mapper = new Mapper({ transport: mapperTransport, discoveryWindow: 0 });
    closers.push(() => agent.stop(), () => mapper.close());
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 1, timeout: 5_000 });
    for (let i = 0; i < 5; i++) expect(await mapper.request('/echo/hi', { i, big: 'z'.repeat(i * 5_000) })).toEqual({ i, big: 'z'.repeat(i * 5_000) });
    expect(agentTransport.stats()).toMatchObject({ aead: 'node:crypto', droppedTotal: 0 });
    expect(mapperTransport.stats()).toMatchObject({ aead: 'sodium-native', droppedTotal: 0 });
    const rot13 = { ...(await sec('fred')), aead: 'rot13' } as unknown as SecurityOptions;
    expect(() => new SecureTransport(t(), rot13)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test('surveys, result streams and uploads work in secure mode', async () => {
    const t = bus();
    async function* count(n: unknown) {
      for (let i = 0; i < Number(n); i++) yield i;
    }
    const agent = new Agent({
      transport: t(),
      security: await sec('fred'),
      actors: [defineActor('svc', {
        who: () => 'fred here',
        count,
        sum: async (_p: unknown, ctx: { input?: AsyncIterable<unknown> }) => {
          let total = 0;
          for await (const x of ctx.input!) total += Number(x);
          return total;
        },
      })],
      pingInterval: 200,
    });
    const mapper = new Mapper({ transport: t(), security: await sec('web'), discoveryWindow: 0 });
    closers.push(() => agent.stop(), () => mapper.close());
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/svc/who', count: 1, timeout: 5_000 });
    const answers = await mapper.survey('/svc/who', null, { timeout: 1_000 }).collect();
    expect(answers).toEqual([expect.objectContaining({ agent: 'fred', ok: true, result: 'fred here' })]);
    const chunks: unknown[] = [];
    for await (const c of mapper.stream('/svc/count', 40, { window: 4 })) chunks.push(c);
    expect(chunks).toEqual(Array.from({ length: 40 }, (_, i) => i));
    async function* numbers() {
      for (let i = 1; i <= 30; i++) yield i;
    }
    await expect(mapper.request('/svc/sum', null, { stream: numbers(), timeout: 5_000 })).resolves.toBe(465);
  });

  test('authorizeRequest denies at once with NANITE_ERR_FORBIDDEN; authorizeRegistration keeps an agent out', async () => {
    const t = bus();
    const ran: string[] = [];
    const agent = new Agent({
      transport: t(),
      security: await sec('fred', { authorizeRequest: (caller, route) => caller.identity === 'web' && route !== '/echo/secret' }),
      actors: [defineActor('echo', { hi: (p: unknown) => p, secret: () => void ran.push('secret') })],
      pingInterval: 200,
    });
    const bob = new Agent({ transport: t(), security: await sec('bob'), actors: [defineActor('bob', { hi: () => 'bob' })], pingInterval: 200 });
    const mapper = new Mapper({ transport: t(), security: await sec('web', { authorizeRegistration: (peer) => peer.identity !== 'bob' }), discoveryWindow: 0 });
    closers.push(() => agent.stop(), () => bob.stop(), () => mapper.close());
    await agent.start();
    await bob.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 1, timeout: 5_000 });
    await expect(mapper.request('/echo/secret', null)).rejects.toMatchObject({ code: 'NANITE_ERR_FORBIDDEN' });
    expect(ran).toEqual([]);
    expect(await mapper.request('/echo/hi', 1)).toBe(1);
    await expect(mapper.request('/bob/hi', null, { timeout: 500 })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    const mt = (mapper as unknown as { transport: SecureTransport }).transport;
    expect(mt.stats().dropped['forbidden-registration']).toBeGreaterThan(0);
  });

  test('an agent restarted under the same certificate gets new keys and is called again', async () => {
    const t = bus();
    const fredSec = await sec('fred');
    const actors = [defineActor('echo', { hi: (p: unknown) => p })];
    const mapper = new Mapper({ transport: t(), security: await sec('web'), discoveryWindow: 0 });
    closers.push(() => mapper.close());
    await mapper.start();
    const first = new Agent({ transport: t(), security: fredSec, actors, pingInterval: 200 });
    await first.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 1, timeout: 5_000 });
    expect(await mapper.request('/echo/hi', 1)).toBe(1);
    await first.stop();
    const second = new Agent({ transport: t(), security: fredSec, actors, pingInterval: 200 });
    closers.push(() => second.stop());
    await second.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 1, timeout: 5_000 });
    expect(await mapper.request('/echo/hi', 2)).toBe(2);
  });

  test('own certificate problems fail at construction with NANITE_ERR_CERTIFICATE', async () => {
    const t = bus();
    const expired = await issue(ca, 'old', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    expect(() => new Agent({ transport: t(), security: { ...expired, ca: ca.pem } })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_CERTIFICATE' }));
    const rogue = await issue(other, 'eve');
    expect(() => new Agent({ transport: t(), security: { ...rogue, ca: ca.pem } })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_CERTIFICATE' }));
    const noSign = await issue(ca, 'nosign', { usage: KeyUsage.keyEncipherment });
    expect(() => new Agent({ transport: t(), security: { ...noSign, ca: ca.pem } })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_CERTIFICATE' }));
    const fred = await issue(ca, 'fred');
    const bob = await issue(ca, 'bob');
    expect(() => new Agent({ transport: t(), security: { cert: fred.cert, key: bob.key, ca: ca.pem } })).toThrow(NaniteError);
    const agent = new Agent({ transport: t(), identity: 'bob', security: { ...fred, ca: ca.pem } });
    await expect(agent.start()).rejects.toMatchObject({ code: 'NANITE_ERR_CERTIFICATE' });
  });

  test.each<[string, (fred: SecurityOptions) => unknown, string]>([
    ['a string for security', () => 'pki/fred', 'security'],
    ['a missing key', (fred) => ({ cert: fred.cert, ca: fred.ca }), 'security.key'],
    ['an empty list of CAs', (fred) => ({ ...fred, ca: [] }), 'security.ca'],
    ['authorizeRequest that is not a function', (fred) => ({ ...fred, authorizeRequest: 'mappers' }), 'security.authorizeRequest'],
    ['maxSkew NaN', (fred) => ({ ...fred, maxSkew: Number.NaN }), 'security.maxSkew'],
  ])('%s fails at construction with NANITE_ERR_INVALID_ARGUMENT naming the option (not a raw TypeError)', async (_what, make, option) => {
    const fred = await sec('fred');
    const t = bus();
    expect(() => new Agent({ transport: t(), security: make(fred) as SecurityOptions })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } }));
  });
});

test('a transport URL that is not a string is NANITE_ERR_INVALID_ARGUMENT, not a raw TypeError', () => {
  expect(() => new Agent({ transport: 5 as unknown as string })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  expect(() => createTransport(5 as unknown as string)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'url' } }));
});
