/**
 * What the roster keeps of each agent besides its state (routes, tags, endpoint, version,
 * certificate subject): where each comes from, how mappers agree on it, what bounds it.
 */
import { Agent, defineActor, Mapper, MemoryBusRegistry, MemoryTransport, type AgentLink, type RegisterPacket } from '../src';
import { decodePacket } from '../src/protocol/decode';
import { parseEntry } from '../src/mapper/roster/roster-codec';
import { mergeEntries, type RosterEntry } from '../src/mapper/roster/roster-entry';
import { closeCluster, rosterEntry, step, TestCluster, useFakeTimers } from './helpers';
import { issue, makeCa } from './pki';

const echo = () => defineActor('svc', { who: () => 'here' });

/** A bare agent link that sends hand-made heartbeats (what a foreign or hostile peer could send). */
async function rawAgent(c: TestCluster, identity: string): Promise<{ link: AgentLink; transport: MemoryTransport }> {
  const transport = c.transport();
  await transport.connect();
  const link = await transport.openAgent(identity, { onPacket() {}, onMalformed() {} }, { prefetch: 1 });
  return { link, transport };
}

const register = (identity: string, extra: Partial<RegisterPacket> & Record<string, unknown> = {}): RegisterPacket =>
  ({ v: 1, type: 'register', identity, routes: [{ route: '/svc/who', idempotent: true }], tags: ['eu'], status: 0, concurrency: 1, pingInterval: 1_000, ...extra }) as RegisterPacket;

describe('roster metadata on memory://', () => {
  let c: TestCluster;
  beforeEach(() => {
    c = new TestCluster();
    useFakeTimers();
  });
  afterEach(() => closeCluster(c));

  test("an agent's version, routes and tags reach the roster and the agent views; a later Register's version replaces it on every mapper", async () => {
    const ms = [await c.startedMapper(), await c.startedMapper(), await c.startedMapper()];
    const a = c.agent({ identity: 'a', version: '1.2.3', tags: ['eu'], actors: [echo()] });
    expect(a.version).toBe('1.2.3');
    await a.start();
    await step(2_000);
    for (const m of ms) {
      expect(rosterEntry(m, 'a')).toMatchObject({ state: 'up', version: '1.2.3', routes: ['/svc/who'], tags: ['eu'] });
      expect(m.agents()[0]).toMatchObject({ identity: 'a', version: '1.2.3' });
    }
    await a.stop();
    await c.agent({ identity: 'a', version: '1.3.0', actors: [echo()] }).start();
    await step(2_000);
    for (const m of ms) expect(rosterEntry(m, 'a')).toMatchObject({ state: 'up', version: '1.3.0', tags: [] });
  });

  test("a mapper that never heard the agent learns its version and endpoint from the others' gossip", async () => {
    const m1 = await c.startedMapper();
    const { link, transport } = await rawAgent(c, 'b');
    link.broadcast(register('b', { version: '7.0.1', endpoint: 'tcp://10.1.2.3:5555' }));
    await step(300);
    link.broadcast({ v: 1, type: 'ping', identity: 'b', status: 0, inFlight: 0 });
    await step(300);
    expect(rosterEntry(m1, 'b')).toMatchObject({ state: 'up', version: '7.0.1', endpoint: 'tcp://10.1.2.3:5555' });
    expect(m1.agents()[0]).toMatchObject({ endpoint: 'tcp://10.1.2.3:5555', version: '7.0.1' });
    link.broadcast({ v: 1, type: 'unregister', identity: 'b' });
    await step(300);
    await link.close();
    await transport.close();
    // Started after b left: nothing but gossip can tell it about b.
    const m2 = await c.startedMapper();
    await step(3_000);
    expect(rosterEntry(m2, 'b')).toMatchObject({ state: 'down', version: '7.0.1', endpoint: 'tcp://10.1.2.3:5555', routes: ['/svc/who'] });
    expect(m2.agents()).toEqual([]);
  });

  test('without secure mode there is no certificate subject, whatever a Register carries', async () => {
    const m = await c.startedMapper();
    const { link, transport } = await rawAgent(c, 'c');
    link.broadcast(register('c', { subject: 'CN=root, O=Forged' }));
    await step(300);
    expect(rosterEntry(m, 'c')).toBeDefined();
    expect(rosterEntry(m, 'c')!.subject).toBeUndefined();
    expect(m.agents()[0]!.subject).toBeUndefined();
    await link.close();
    await transport.close();
  });

  test('a Register whose version is out of bounds is dropped as malformed (decoder); an Agent refuses such a version option', async () => {
    const m = await c.startedMapper();
    const { link, transport } = await rawAgent(c, 'd');
    link.broadcast(register('d', { version: 'x'.repeat(129) }));
    link.broadcast(register('d', { version: 'evil\u001b[2J' }));
    await step(300);
    expect(rosterEntry(m, 'd')).toBeUndefined();
    expect(m.stats.malformed).toBe(2);
    await link.close();
    await transport.close();
    for (const bad of ['', 'x'.repeat(129), 'line\nbreak', 12 as unknown as string]) {
      expect(() => new Agent({ transport: 'memory://x', version: bad })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    }
  });
});

test('in secure mode the roster shows the subject of the certificate that signed the Register', async () => {
  const ca = await makeCa();
  const registry = new MemoryBusRegistry();
  const bus = (): MemoryTransport => new MemoryTransport({ name: 'roster-secure', registry });
  const agent = new Agent({ transport: bus(), security: { ...(await issue(ca, 'fred')), ca: ca.pem }, version: '3.1.4', actors: [echo()], pingInterval: 100 });
  const mapper = new Mapper({ transport: bus(), security: { ...(await issue(ca, 'web')), ca: ca.pem }, discoveryWindow: 0 });
  try {
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ count: 1, timeout: 5_000 });
    const deadline = Date.now() + 5_000;
    while (rosterEntry(mapper, 'fred')?.state !== 'up' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(rosterEntry(mapper, 'fred')).toMatchObject({ state: 'up', subject: 'CN=fred', version: '3.1.4' });
    expect(mapper.agents()[0]).toMatchObject({ identity: 'fred', subject: 'CN=fred' });
  } finally {
    await mapper.close();
    await agent.stop();
  }
});

describe('roster metadata merge and bounds', () => {
  const at = (wall: number, node: string) => ({ wall, logical: 0, node });
  const entry = (meta: RosterEntry['meta']): RosterEntry => ({ identity: 'a', incarnation: 0, live: { state: 'up', at: at(1, 'm1') }, meta, firstSeen: 1, lastUp: 1, lastDown: 0 });

  test('the newer metadata wins in either merge order, version, endpoint and subject together', () => {
    const older = entry({ value: { routes: ['/r'], tags: [], version: '1.0.0', endpoint: 'tcp://h:1', subject: 'CN=a' }, at: at(10, 'm1') });
    const newer = entry({ value: { routes: ['/r'], tags: [], version: '1.1.0' }, at: at(20, 'm2') });
    expect(mergeEntries(older, newer).meta.value).toEqual({ routes: ['/r'], tags: [], version: '1.1.0' });
    expect(mergeEntries(newer, older)).toEqual(mergeEntries(older, newer));
    expect(mergeEntries(newer, newer)).toEqual(newer);
  });

  test('gossip or a stored file carrying over-long or non-string metadata is refused whole', () => {
    const good = JSON.parse(JSON.stringify(entry({ value: { routes: [], tags: [], version: '1', endpoint: 'tcp://h:1', subject: 'CN=a' }, at: at(1, 'm1') }))) as Record<string, { value: Record<string, unknown> }>;
    expect(parseEntry(good)).toBeDefined();
    for (const [k, v] of [['version', 'v'.repeat(1_025)], ['endpoint', 42], ['subject', '']] as const) {
      const bad = JSON.parse(JSON.stringify(good)) as typeof good;
      bad.meta!.value[k] = v;
      expect(parseEntry(bad)).toBeUndefined();
    }
  });

  test('the decoder takes a version of 1..128 printable characters and nothing else', () => {
    const reg = (version: unknown) => decodePacket({ ...register('a'), version });
    expect(reg('1.2.3-rc.1+build.5').ok).toBe(true);
    expect(reg('v'.repeat(128)).ok).toBe(true);
    for (const bad of ['', 'v'.repeat(129), 'tab\there', 'ünï', 3, null, ['1']]) expect(reg(bad)).toMatchObject({ ok: false, reason: expect.stringContaining('version') });
    expect(decodePacket(register('a')).ok).toBe(true);
  });
});
