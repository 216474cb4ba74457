/**
 * Roster gossip through the transport wrappers: secure mode (signed, heard only from mapper
 * certificates) and direct mode (gossip stays on the control plane). Both used to switch gossip off
 * without a word: a mapper's forget() retired an agent on that mapper only.
 */
import { Agent, defineActor, Mapper, MemoryTransport, SecureTransport, type Logger } from '../src';
import { issue, makeCa, type TestCa } from './pki';
import { RecordingLogger, TestCluster, closeCluster, rosterEntry, step, useFakeTimers } from './helpers';

let ca: TestCa;
let c: TestCluster;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  ca = await makeCa();
});
beforeEach(() => {
  useFakeTimers();
  c = new TestCluster();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await closeCluster(c);
  jest.useRealTimers();
});

const echo = () => defineActor('e', { hi: () => 'hi' });
const memory = () => new MemoryTransport({ name: c.name, registry: c.registry, local: false });
const security = async (name: string, ou?: string) => ({ ...(await issue(ca, name, ou ? { ou } : {})), ca: ca.pem });

async function secureMapper(name: string, ou: string | undefined, logger: Logger = c.logger, extra: object = {}): Promise<Mapper> {
  const m = new Mapper({ transport: memory(), security: { ...(await security(name, ou)), ...extra }, logger, discoveryWindow: 0 });
  closers.push(() => m.close());
  await m.start();
  return m;
}

async function secureAgent(): Promise<Agent> {
  const a = new Agent({ transport: memory(), identity: 'a', security: await security('a', 'agent'), actors: [echo()], logger: c.logger, pingInterval: 1_000 });
  closers.push(() => a.close());
  await a.start();
  return a;
}

describe('secure mode', () => {
  test('mappers with mapper certificates gossip signed: one forget() retires the agent on every mapper, and the agent stops', async () => {
    const agent = await secureAgent();
    const m1 = await secureMapper('web1', 'mapper');
    const m2 = await secureMapper('web2', 'mapper');
    await step(3_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
    m1.forget('a');
    await step(2_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('removed');
    expect(m2.rosterStats()!.malformedGossip).toBe(0);
    expect(agent.isRunning).toBe(false);
  });

  test('gossip and "you were removed" from a certificate that is not a mapper\'s are refused and counted (an agent certificate cannot retire agents), unless authorizeGossip allows it', async () => {
    const agent = await secureAgent();
    const logger = new RecordingLogger();
    const rogue = await secureMapper('not-a-mapper', 'agent');
    const m2 = await secureMapper('web2', 'mapper', logger);
    await step(3_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
    rogue.forget('a');
    await step(2_000);
    // Its tombstone is not taken, and the agent goes on: the rogue's answer to its heartbeat ("removed") is not obeyed.
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
    expect(agent.isRunning).toBe(true);
    const transport = (m2 as unknown as { transport: SecureTransport }).transport;
    expect(transport.stats().dropped['forbidden-gossip']).toBeGreaterThan(0);
    // A mapper that lets every certificate of its fabric gossip hears it.
    const open = await secureMapper('web3', 'mapper', c.logger, { authorizeGossip: () => true });
    await step(3_000);
    rogue.forget('a');
    await step(2_000);
    expect(rosterEntry(open, 'a')?.state).toBe('removed');
  });

  test('gossip without a valid signature (a plain mapper on the same bus) is dropped', async () => {
    await secureAgent();
    const m2 = await secureMapper('web2', 'mapper');
    const plain = new Mapper({ transport: memory(), logger: c.logger, discoveryWindow: 0 });
    closers.push(() => plain.close());
    await plain.start();
    await step(3_000);
    plain.forget('a');
    await step(2_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
    expect(m2.rosterStats()!.malformedGossip).toBeGreaterThan(0);
  });
});

test('direct mode: gossip stays on the control plane, one forget() retires the agent on every mapper', async () => {
  await c.agent({ identity: 'a', actors: [echo()] }).start();
  const m1 = await c.startedMapper({ direct: true });
  const m2 = await c.startedMapper({ direct: true });
  await step(3_000);
  expect(rosterEntry(m2, 'a')?.state).toBe('up');
  m1.forget('a');
  await step(2_000);
  expect(rosterEntry(m2, 'a')?.state).toBe('removed');
});

describe('a removal names its agent', () => {
  test('secure mode: the signed "you were removed" sent to one agent, replayed to another, stops nobody else', async () => {
    const inner = memory();
    const captured: unknown[] = [];
    const open = inner.openAgent.bind(inner);
    inner.openAgent = async (identity, sink, options) => open(identity, {
      ...sink,
      onPacket: (p, settle) => {
        if ((p as { removed?: unknown }).removed === true) captured.push(p);
        sink.onPacket(p, settle);
      },
      onMalformed: (r) => sink.onMalformed(r),
    }, options);
    const a = new Agent({ transport: inner, identity: 'a', security: await security('a', 'agent'), actors: [echo()], logger: c.logger, pingInterval: 1_000 });
    closers.push(() => a.close());
    await a.start();
    const b = new Agent({ transport: memory(), identity: 'b', security: await security('b', 'agent'), actors: [echo()], logger: c.logger, pingInterval: 1_000 });
    closers.push(() => b.close());
    await b.start();
    const m = await secureMapper('web1', 'mapper');
    await step(3_000);
    m.forget('a');
    await step(2_000);
    expect(a.isRunning).toBe(false);
    expect(captured.length).toBeGreaterThan(0);
    const raw = memory();
    await raw.connect();
    const link = await raw.openMapper('replayer', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
    closers.push(async () => { await link.close(); await raw.close(); });
    link.send('b', captured[0] as never);
    await step(1_000);
    expect(b.isRunning).toBe(true);
  });

  test('plain mode: an agent obeys a removal naming it (or naming no one: a mapper of an earlier release), not one naming another agent', async () => {
    const b = c.agent({ identity: 'b', actors: [echo()] });
    await b.start();
    const raw = c.transport();
    await raw.connect();
    const link = await raw.openMapper('m-raw', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
    closers.push(async () => { await link.close(); await raw.close(); });
    link.send('b', { v: 1, type: 'advertise', mapper: 'm-raw', removed: true, agent: 'someone-else' } as never);
    await step(500);
    expect(b.isRunning).toBe(true);
    link.send('b', { v: 1, type: 'advertise', mapper: 'm-raw', removed: true, agent: 'b' } as never);
    await step(500);
    expect(b.isRunning).toBe(false);
  });
});
