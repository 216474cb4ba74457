/** The roster's states in the Prometheus agents gauge (`nanite_mapper_agents{state}`), on memory://. */
import { Agent, defineActor, Mapper, MemoryBusRegistry, MemoryTransport, prometheusMetrics } from '../src';
import { closeCluster, rosterEntry, step, TestCluster, useFakeTimers } from './helpers';
import { sample, samples } from './metrics-text';

const echo = () => defineActor('svc', { who: () => 'here' });

describe('the agents gauge with and without a roster', () => {
  let c: TestCluster;
  beforeEach(() => {
    c = new TestCluster();
    useFakeTimers();
  });
  afterEach(() => closeCluster(c));

  test('the agents gauge reports roster states: joining, up, suspect, down, removed, unknown-since-restart', async () => {
    const metrics = prometheusMetrics();
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
    await c.agent({ identity: 'b', actors: [echo()] }).start();
    const m = await c.startedMapper({ observers: [metrics] });
    const states = async (): Promise<Record<string, number>> =>
      Object.fromEntries(samples(await metrics.metrics(), 'nanite_mapper_agents').filter((s) => s.labels.mapper === m.identity).map((s) => [s.labels.state!, s.value]));
    const zero = { joining: 0, up: 0, suspect: 0, down: 0, removed: 0, 'unknown-since-restart': 0 };
    // Registered, not pinged yet.
    expect(await states()).toEqual({ ...zero, joining: 2 });
    await step(3_000);
    expect(await states()).toEqual({ ...zero, up: 2 });
    ta.sever();
    while (rosterEntry(m, 'a')!.state !== 'suspect') await step(100);
    expect(await states()).toEqual({ ...zero, up: 1, suspect: 1 });
    while (rosterEntry(m, 'a')!.state !== 'down') await step(100);
    expect(await states()).toEqual({ ...zero, up: 1, down: 1 });
    m.forget('b');
    expect(await states()).toEqual({ ...zero, down: 1, removed: 1 });
  });

  test('without a roster the gauge keeps live and suspended', async () => {
    const metrics = prometheusMetrics();
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const m = await c.startedMapper({ observers: [metrics], roster: false });
    const text = await metrics.metrics();
    expect(sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'live' })).toBe(1);
    expect(sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'suspended' })).toBe(0);
    expect(sample(text, 'nanite_mapper_agents', { mapper: m.identity, state: 'up' })).toBeUndefined();
  });
});

test('a restarted mapper reports what it loaded as unknown-since-restart', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'nanite-roster-metrics-'));
  const registry = new MemoryBusRegistry();
  const bus = (): MemoryTransport => new MemoryTransport({ name: 'roster-metrics', registry });
  const store = join(dir, 'roster.json');
  const agent = new Agent({ transport: bus(), identity: 'a', version: '2.0.0', actors: [echo()], pingInterval: 100 });
  const first = new Mapper({ transport: bus(), discoveryWindow: 0, roster: { store, saveDelay: 10 } });
  try {
    await agent.start();
    await first.start();
    await first.waitForAgents({ count: 1, timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 300));
    await first.close();
    await agent.stop();
    const metrics = prometheusMetrics();
    const second = new Mapper({ transport: bus(), discoveryWindow: 0, roster: { store }, observers: [metrics] });
    await second.start();
    try {
      expect(rosterEntry(second, 'a')).toMatchObject({ state: 'unknown-since-restart', version: '2.0.0' });
      expect(sample(await metrics.metrics(), 'nanite_mapper_agents', { mapper: second.identity, state: 'unknown-since-restart' })).toBe(1);
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
