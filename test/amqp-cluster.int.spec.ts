/**
 * amqp:// acceptance on the shared broker: agents in separate processes, a mapper in this one.
 */
import { AmqpTransport, Mapper, NaniteError, type AgentView } from '@nanite/core';
import { AMQP_URL, removeTopology, spawnAgent, startLoad, uniquePrefix, withQuery, type AgentProcess } from './amqp.helpers';

const ROUTES = ['/load/work', '/load/once'];

describe('amqp:// cluster of agent processes', () => {
  let prefix: string;
  let url: string;
  let agents: AgentProcess[];
  let mappers: Mapper[];

  const agent = (identity: string, ping: number): AgentProcess => {
    const a = spawnAgent(url, identity, ping);
    agents.push(a);
    return a;
  };
  const mapper = async (): Promise<Mapper> => {
    const m = new Mapper({ transport: url, timeout: 15_000 });
    mappers.push(m);
    await m.start();
    return m;
  };

  beforeEach(() => {
    prefix = uniquePrefix('cluster');
    url = withQuery(AMQP_URL, { prefix });
    agents = [];
    mappers = [];
  });

  afterEach(async () => {
    for (const m of mappers) await m.close();
    for (const a of agents) await a.kill();
    await removeTopology(AMQP_URL, [prefix], ROUTES);
  });

  test('`all` gets both agents; a mapper started later learns both at once (Advertise, not pings)', async () => {
    // Pings every 30 s: only the Advertise a starting mapper broadcasts can make it learn the agents quickly.
    const a = agent('alpha', 30_000);
    const b = agent('beta', 30_000);
    await Promise.all([a.ready, b.ready]);
    const m1 = await mapper();
    await m1.waitForAgents({ route: '/load/work', count: 2, timeout: 5_000 });
    const all = await m1.request('/load/work', { n: 1 }, { selector: 'all' });
    expect(Object.keys(all).sort()).toEqual(['alpha', 'beta']);
    expect(all.alpha).toEqual({ ok: true, result: { agent: 'alpha', n: 1 } });

    const t0 = Date.now();
    const m2 = await mapper();
    const seen = await m2.waitForAgents({ route: '/load/work', count: 2, timeout: 2_000 });
    expect(seen.map((v: AgentView) => v.identity).sort()).toEqual(['alpha', 'beta']);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  test('SIGKILL under steady load: no idempotent request lost, the agent leaves dispatch at once, a restarted agent rejoins', async () => {
    // Pings every second: the reaper alone would need 3 s, so the 1 s comes from the transport.
    const a = agent('alpha', 1_000);
    const b = agent('beta', 1_000);
    await Promise.all([a.ready, b.ready]);
    const m = await mapper();
    await m.waitForAgents({ route: '/load/work', count: 2, timeout: 5_000 });
    const downs: Array<{ identity: string; at: number; reason: string }> = [];
    m.on('agent:down', (v, reason) => downs.push({ identity: v.identity, at: Date.now(), reason }));

    const load = startLoad(m, '/load/work', 32, 5);
    await waitFor(() => (load.stats.byAgent.alpha ?? 0) > 50 && (load.stats.byAgent.beta ?? 0) > 50, 10_000);
    const killedAt = Date.now();
    await a.kill();
    await waitFor(() => downs.some((d) => d.identity === 'alpha'), 5_000);
    const down = downs.find((d) => d.identity === 'alpha')!;
    // The broker tells at once (reason 'transport', well under a second on a quiet machine); on a
    // loaded one the roster's failure detector (~1.8 pings of silence) may get there first.
    expect(down.at - killedAt).toBeLessThan(3_000);
    expect(['transport', 'timeout']).toContain(down.reason);

    const again = agent('alpha', 1_000);
    await again.ready;
    await m.waitForAgents({ route: '/load/work', count: 2, timeout: 5_000 });
    const before = load.stats.byAgent.alpha ?? 0;
    await waitFor(() => (load.stats.byAgent.alpha ?? 0) > before + 50, 10_000);
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.ok).toBe(stats.sent);
    expect(stats.maxMs).toBeLessThan(5_000);
  });

  test('the only agent of a route killed with idempotent requests in flight: they wait the failover window and the restarted agent answers them all', async () => {
    const a = agent('alpha', 1_000);
    await a.ready;
    // A window long enough for a process to start on a loaded CI box (the default is 2 s).
    const m = new Mapper({ transport: url, timeout: 15_000, failoverWindow: 10_000 });
    mappers.push(m);
    await m.start();
    await m.waitForAgents({ route: '/load/work', count: 1, timeout: 5_000 });
    const calls = Array.from({ length: 8 }, (_, n) => m.call<{ agent: string; n: number }>('/load/work', { n, ms: 2_000 }));
    await waitFor(() => m.stats.pending === 8, 2_000);
    await new Promise((r) => setTimeout(r, 100)); // let the requests reach the agent
    const killedAt = Date.now();
    await a.kill();
    // Dropped by the mapper's probe; nothing else serves the route: the requests wait.
    await waitFor(() => m.agents().length === 0, 3_000);
    const again = agent('alpha', 1_000);
    await again.ready;
    const replies = await Promise.all(calls);
    expect(replies.map((r) => [r.agent, r.result.n, r.attempts])).toEqual(Array.from({ length: 8 }, (_, n) => ['alpha', n, 2]));
    expect(m.stats.redispatched).toBe(8);
    process.stdout.write(`failover window: 8 requests answered by the restarted agent ${Date.now() - killedAt} ms after the kill\n`);
  });

  test('a non-idempotent request in flight on a killed agent fails fast with NANITE_ERR_AGENT_LOST', async () => {
    const a = agent('alpha', 1_000);
    await a.ready;
    const m = await mapper();
    await m.waitForAgents({ route: '/load/once', count: 1, timeout: 5_000 });
    const pending = m.request('/load/once', { ms: 10_000 }).catch((e: unknown) => e);
    await waitFor(() => m.stats.pending === 1, 2_000);
    await new Promise((r) => setTimeout(r, 100)); // let the request reach the agent
    const killedAt = Date.now();
    await a.kill();
    const err = await pending;
    expect(err).toBeInstanceOf(NaniteError);
    expect(err).toMatchObject({ code: 'NANITE_ERR_AGENT_LOST' });
    expect(Date.now() - killedAt).toBeLessThan(1_000);
  });

  test('bad credentials or vhost fail with NANITE_ERR_TRANSPORT_AUTH in under 5 s', async () => {
    for (const bad of [AMQP_URL.replace(/\/\/[^@]*@/, '//guest:wrong-password@'), `${AMQP_URL.replace(/\/$/, '')}/no-such-vhost`]) {
      const t = new AmqpTransport({ url: bad, prefix });
      const t0 = Date.now();
      const err = await t.connect().catch((e: unknown) => e);
      await t.close();
      expect(err).toMatchObject({ code: 'NANITE_ERR_TRANSPORT_AUTH' });
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
