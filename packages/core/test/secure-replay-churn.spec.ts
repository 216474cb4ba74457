/**
 * Secure mode keeps a replay window per peer key, in a table bounded by `maxPeers`. Anyone holding
 * one valid certificate can make fresh keys for free; flooding them must neither push another
 * identity's key out of the table nor, when keys are forgotten, let a captured frame of a
 * forgotten key run again (its window went with it).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Agent, defineActor, Mapper, MemoryBusRegistry, MemoryTransport, SecureTransport, type MapperLink, type RequestPacket } from '../src';
import { LocalCredential } from '../src/serializer/secure/credential';
import { MAX_KEYS_PER_IDENTITY } from '../src/serializer/secure/peer-table';
import { SecureCodec } from '../src/serializer/secure/secure-codec';
import { issue, makeCa, type TestCa } from './pki';
import { RecordingLogger } from './helpers';

const logger = new RecordingLogger();
const registry = new MemoryBusRegistry();
let ca: TestCa;
let n = 0;
let closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  ca = await makeCa();
});
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/** An agent and a mapper in secure mode, the mapper's requests tapped on the wire, and an attacker's raw link holding the certificate "evil". */
async function scene(maxPeers: number) {
  const bus = `replay-churn-${++n}`;
  let runs = 0;
  const sec = async (name: string) => ({ ...(await issue(ca, name)), ca: ca.pem, maxPeers });
  const agent = new Agent({ transport: new MemoryTransport({ name: bus, registry, local: false }), identity: 'bank', logger, security: await sec('bank'), actors: [defineActor('bank', { transfer: (x: unknown) => { runs++; return `transferred ${String(x)}`; } })] });
  closers.push(() => agent.close());
  const inner = new MemoryTransport({ name: bus, registry, local: false });
  const tapped: RequestPacket[] = [];
  const open = inner.openMapper.bind(inner);
  inner.openMapper = async (id, sink) => {
    const link = await open(id, sink);
    const send = link.send.bind(link);
    link.send = (to, packet, options) => {
      if (packet.type === 'request') tapped.push(packet);
      send(to, packet, options);
    };
    return link;
  };
  const mapper = new Mapper({ transport: new SecureTransport(inner, await sec('teller'), { logger }), logger, timeout: 5_000 });
  closers.push(() => mapper.close());
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ route: '/bank/transfer', timeout: 5_000 });
  const raw = new MemoryTransport({ name: bus, registry, local: false });
  closers.push(() => raw.close());
  await raw.connect();
  const link: MapperLink = await raw.openMapper('evil-raw', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
  const evil = await issue(ca, 'evil');
  const flood = async (keys: number): Promise<void> => {
    const cert = new X509Certificate(evil.cert);
    const key = createPrivateKey(evil.key);
    const t0 = Date.now();
    for (let i = 0; i < keys; i++) {
      const codec = new SecureCodec({ local: new LocalCredential(cert, key, 'evil', Date.now()), cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 10, now: () => t0 + i });
      link.broadcast(codec.sign({ v: 1, type: 'advertise', mapper: 'evil' }) as never);
    }
    await new Promise((r) => setTimeout(r, 50));
  };
  const replay = async (packet: RequestPacket): Promise<void> => {
    link.send('bank', packet);
    await new Promise((r) => setTimeout(r, 100));
  };
  return { agent, mapper, tapped, flood, replay, runs: () => runs };
}

test('fresh keys flooded under one certificate only push that certificate\'s own keys out: a captured request replayed afterwards does not run again, and the mapper keeps calling', async () => {
  const s = await scene(100);
  await expect(s.mapper.request('/bank/transfer', 100)).resolves.toBe('transferred 100');
  await s.replay(s.tapped[0]!);
  expect(s.runs()).toBe(1);
  await s.flood(2 * MAX_KEYS_PER_IDENTITY + 100); // more than maxPeers
  await s.replay(s.tapped[0]!);
  expect(s.runs()).toBe(1);
  await expect(s.mapper.request('/bank/transfer', 5)).resolves.toBe('transferred 5');
});

test('a key forgotten to make room (a table smaller than one certificate\'s allowance) is not taken again from a frame it had sent: the replay is refused', async () => {
  const s = await scene(8);
  await expect(s.mapper.request('/bank/transfer', 100)).resolves.toBe('transferred 100');
  await s.flood(20); // evicts the mapper's key (the oldest)
  await s.replay(s.tapped[0]!);
  expect(s.runs()).toBe(1);
});

test('a mapper whose key the agent forgot is heard again within about a second (its frames carry its credential again), and nothing runs twice', async () => {
  const s = await scene(8);
  await expect(s.mapper.request('/bank/transfer', 100)).resolves.toBe('transferred 100');
  await s.flood(20); // evicts the mapper's key (the oldest)
  const started = Date.now();
  let answer: unknown;
  let attempts = 0;
  while (answer === undefined && Date.now() - started < 4_000) {
    attempts++;
    answer = await s.mapper.request('/bank/transfer', attempts, { timeout: 300 }).catch(() => undefined);
  }
  expect(answer).toBe(`transferred ${attempts}`);
  expect(Date.now() - started).toBeLessThan(3_000);
  // The attempts dropped as from an unknown peer never ran; the one answered ran once.
  expect(s.runs()).toBe(2);
});
