/**
 * amqp:// through broker outages, on a private RabbitMQ node (never the shared one on 5672).
 */
import { Agent, AmqpTransport, defineActor, JsonSerializer, Mapper } from '@nanite/core';
import { ChaosBroker, spawnAgent, startLoad, withQuery, type AgentProcess } from './amqp.helpers';

jest.setTimeout(120_000);

const broker = new ChaosBroker();

beforeAll(() => broker.start(), 60_000);
afterAll(() => broker.stop(), 30_000);

describe('amqp:// across broker outages', () => {
  let agents: AgentProcess[] = [];
  let closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    for (const a of agents) await a.kill();
    agents = [];
    closers = [];
    await broker.startApp();
  });

  test('an agent and a mapper boot while the broker is down, report not-ready, and work once it is up', async () => {
    await broker.stopApp();
    const url = withQuery(broker.url, { prefix: 'boot', reconnectMax: 500 });
    const transport = new AmqpTransport({ url });
    const states: boolean[] = [];
    transport.onConnectionChange((up) => states.push(up));
    const agent = new Agent({ transport, identity: 'early', actors: [defineActor('boot', { hi: () => 'hello' })], pingInterval: 1_000 });
    const mapper = new Mapper({ transport, timeout: 10_000 });
    closers.push(() => transport.close(), () => agent.stop(), () => mapper.close());
    const t0 = Date.now();
    await agent.start();
    await mapper.start();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(transport.isConnected).toBe(false);

    await broker.startApp();
    await mapper.waitForAgents({ route: '/boot/hi', timeout: 20_000 });
    expect(transport.isConnected).toBe(true);
    expect(states).toContain(true);
    await expect(mapper.request('/boot/hi')).resolves.toBe('hello');
  });

  test('a request that cannot cross the wire, made during an outage, is refused at once; the ones held with it go out once the broker is back', async () => {
    const url = withQuery(broker.url, { prefix: 'held', reconnectMax: 500 });
    const agentTransport = new AmqpTransport({ url });
    const agent = new Agent({ transport: agentTransport, identity: 'echo', actors: [defineActor('t', { echo: (s: string) => s })], pingInterval: 2_000 });
    // The mapper's serializer takes at most 4 KiB per packet.
    const transport = new AmqpTransport({ url, serializer: new JsonSerializer({ limits: { maxBytes: 4_096 } }) });
    const states: boolean[] = [];
    transport.onConnectionChange((up) => states.push(up));
    const mapper = new Mapper({ transport, timeout: 30_000 });
    closers.push(() => agentTransport.close(), () => agent.stop(), () => transport.close(), () => mapper.close());
    await agent.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/t/echo', timeout: 10_000 });
    await broker.stopApp();
    await waitFor(() => states.includes(false), 10_000);
    const small = mapper.request('/t/echo', 'small');
    const t0 = Date.now();
    await expect(mapper.request('/t/echo', 'x'.repeat(8_000))).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    expect(Date.now() - t0).toBeLessThan(1_000);
    const after = mapper.request('/t/echo', 'after');
    await broker.startApp();
    await expect(Promise.all([small, after])).resolves.toEqual(['small', 'after']);
    // One outage, one reconnect: nothing held kills the new connection.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(states).toEqual([true, false, true]);
  });

  test('stop_app / start_app in the middle of a load run: everything recovers, no request lost or left hanging', async () => {
    const url = withQuery(broker.url, { prefix: 'chaos', reconnectMax: 500 });
    // Pings every 2 s: the mapper keeps the agents through a few seconds of outage.
    const a = spawnAgent(url, 'alpha', 2_000);
    const b = spawnAgent(url, 'beta', 2_000);
    agents.push(a, b);
    await Promise.all([a.ready, b.ready]);
    const transport = new AmqpTransport({ url });
    const states: boolean[] = [];
    transport.onConnectionChange((up) => states.push(up));
    const mapper = new Mapper({ transport, timeout: 30_000 });
    closers.push(() => transport.close(), () => mapper.close());
    await mapper.start();
    await mapper.waitForAgents({ route: '/load/work', count: 2, timeout: 10_000 });

    const load = startLoad(mapper, '/load/work', 32, 5);
    await waitFor(() => load.stats.ok > 500, 15_000);
    await broker.stopApp();
    await waitFor(() => states.includes(false), 10_000);
    const okAtStop = load.stats.ok;
    await broker.startApp();
    // Recovered: plenty of new results after the restart, from both agents.
    const byAgent = { ...load.stats.byAgent };
    await waitFor(() => load.stats.ok > okAtStop + 1_000 && Object.keys(byAgent).every((k) => (load.stats.byAgent[k] ?? 0) > (byAgent[k] ?? 0) + 100), 30_000);
    const stats = await load.stop();
    expect(states).toEqual([true, false, true]);
    expect(stats.errors).toEqual([]);
    expect(stats.ok).toBe(stats.sent);
    expect(stats.maxMs).toBeLessThan(20_000);
    process.stdout.write(`chaos: ${JSON.stringify({ ...stats, okAtStop })}\n`);
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
