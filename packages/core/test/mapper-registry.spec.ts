// The registry trusts nothing a heartbeat says: values are clamped, the number of agents is capped,
// and a stray packet that takes a live agent out of dispatch is undone by its next genuine Ping.
import { Mapper, defineActor, type AgentLink, type MemoryTransport, type RegisterPacket, type RequestPacket } from '../src';
import { TestCluster, closeCluster, flush, useFakeTimers } from './helpers';
import { ObservedTransport } from './observed-transport';
import { Registry } from '../src/mapper/registry';

let c: TestCluster;
let forgerTransport: MemoryTransport | undefined;
beforeEach(() => {
  c = new TestCluster();
  useFakeTimers();
});
afterEach(async () => {
  await forgerTransport?.close();
  forgerTransport = undefined;
  await closeCluster(c);
});

const actor = () => defineActor('svc', {
  who: (_p: unknown, ctx) => ctx.agent,
  hold: () => new Promise((resolve) => setTimeout(resolve, 50, 'held')),
});

async function forger(): Promise<AgentLink> {
  forgerTransport = c.transport();
  await forgerTransport.connect();
  return forgerTransport.openAgent('evil', { onPacket: (_p, settle) => settle(), onMalformed: () => undefined }, { prefetch: 1 });
}

const register = (identity: string, extra: Partial<RegisterPacket> = {}): RegisterPacket => ({
  v: 1, type: 'register', identity, routes: [{ route: '/svc/who', idempotent: true }], tags: [], status: 0, concurrency: 1, pingInterval: 1_000, ...extra,
});

async function advance(ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    jest.advanceTimersByTime(step);
    await flush();
  }
}

describe('clamping and the cap', () => {
  test('a Register with absurd values is clamped (counted, logged once) and its agent is still reaped', async () => {
    const m = await c.startedMapper({ reapInterval: 60_000 });
    const f = await forger();
    f.broadcast(register('huge', { pingInterval: 2 ** 53 - 1, status: -1e300, concurrency: 1e12 }));
    f.broadcast(register('huge2', { pingInterval: 1, status: 1e300 }));
    await flush();
    expect(m.agents().map(({ identity, pingInterval, status, concurrency }) => ({ identity, pingInterval, status, concurrency }))).toEqual([
      { identity: 'huge', pingInterval: 300_000, status: 0, concurrency: 100_000 },
      { identity: 'huge2', pingInterval: 100, status: 1e6, concurrency: 1 },
    ]);
    expect(m.stats.clamped).toBe(2);
    expect(c.logger.warnings().filter((w) => /out of range/.test(w))).toHaveLength(1);
    f.broadcast({ v: 1, type: 'ping', identity: 'huge', status: -5, inFlight: 1e15 });
    await flush();
    expect(m.agents().find((a) => a.identity === 'huge')).toMatchObject({ status: 0, inFlight: 1_000_000 });
    // Three of the longest allowed ping intervals without a word: gone.
    await advance(16 * 60_000, 60_000);
    expect(m.agents()).toEqual([]);
  });

  test('routes and tags past their limits are cut, over-long ones dropped', async () => {
    const m = await c.startedMapper();
    const f = await forger();
    const routes = Array.from({ length: 20_000 }, (_, i) => ({ route: `/r/${i}`, idempotent: false }));
    f.broadcast(register('wide', { routes: [{ route: `/${'x'.repeat(10_000)}`, idempotent: false }, ...routes], tags: ['ok', 't'.repeat(10_000), ...Array.from({ length: 500 }, (_, i) => `t${i}`)] }));
    await flush();
    const [a] = m.agents();
    expect(a!.routes).toHaveLength(9_999);
    expect(a!.routes[0]).toBe('/r/0');
    expect(a!.tags).toHaveLength(99);
    expect(a!.tags[0]).toBe('ok');
  });

  test('past maxAgents, new identities are refused (counted, one log line per burst); known ones still refresh', async () => {
    await c.agent({ identity: 'real', actors: [actor()] }).start();
    const m = await c.startedMapper({ maxAgents: 5 });
    const f = await forger();
    for (let i = 0; i < 1_000; i++) f.broadcast(register(`fake-${i}`, { pingInterval: 2 ** 53 - 1 }));
    await flush();
    expect(m.stats).toMatchObject({ agents: 5, refusedAgents: 996 });
    expect(c.logger.warnings().filter((w) => /registry full/.test(w))).toHaveLength(1);
    await expect(m.request('/svc/who', null, { target: 'real' })).resolves.toBe('real');
    f.broadcast(register('fake-0', { status: 3 }));
    await flush();
    expect(m.agents().find((a) => a.identity === 'fake-0')).toMatchObject({ status: 3 });
  });

  test('a flood of Pings from unknown identities is answered with at most 200 Advertises a second', async () => {
    const { m, t } = await (async () => {
      const t = new ObservedTransport(c.transport());
      const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0 });
      await m.start();
      await flush();
      return { m, t };
    })();
    const f = await forger();
    for (let i = 0; i < 5_000; i++) f.broadcast({ v: 1, type: 'ping', identity: `nobody-${i}`, status: 0, inFlight: 0 });
    await flush();
    const advertises = () => t.packets.filter((p) => p.packet.type === 'advertise').length;
    expect(advertises()).toBe(200);
    expect(m.stats.unansweredPings).toBe(4_800);
    expect(c.logger.warnings().filter((w) => /Pings from unknown agents/.test(w))).toHaveLength(1);
    jest.advanceTimersByTime(1_000);
    f.broadcast({ v: 1, type: 'ping', identity: 'latecomer', status: 0, inFlight: 0 });
    await flush();
    expect(advertises()).toBe(201);
  });

  test('the default cap bounds a flood of forged Registers', async () => {
    const m = await c.startedMapper();
    const f = await forger();
    for (let i = 0; i < 12_000; i++) f.broadcast(register(`flood-${i}`, { pingInterval: 2 ** 53 - 1 }));
    await flush();
    expect(m.stats).toMatchObject({ agents: 10_000, refusedAgents: 2_000 });
  });
});

describe('a stray packet never takes a live agent down for long', () => {
  async function live() {
    await c.agent({ identity: 'a', actors: [actor()], pingInterval: 1_000 }).start();
    const t = new ObservedTransport(c.transport());
    const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0 });
    await m.start();
    await flush();
    return { m, t };
  }

  test('an agent the transport reports gone (e.g. a forged bounce) is asked to register again and is back at once', async () => {
    const { m, t } = await live();
    t.mapperSink!.onAgentGone!('a');
    expect(m.agents()).toEqual([]);
    await flush();
    expect(t.packets.filter((p) => p.packet.type === 'advertise' && p.agent === 'a')).toHaveLength(1);
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });

  test('a return of a request it did not have in flight leaves the agent alone; a real one suspends it and asks it back, and the request goes back to it once it is', async () => {
    const { m, t } = await live();
    await m.request('/svc/who');
    const sent = t.requests()[0]!.packet as RequestPacket;
    t.mapperSink!.onUndeliverable({ ...sent, id: sent.id + 1 }, 'a'); // not in flight: ignored
    await expect(m.request('/svc/who')).resolves.toBe('a');
    expect(m.stats.strayReturns).toBe(1);
    const held = m.request<string>('/svc/hold', null, { timeout: 60_000 }).catch((e: unknown) => e);
    await flush();
    const returned = t.requests()[2]!.packet as RequestPacket;
    // In flight: 'a' is out of dispatch and the request has no other agent to go to; a live agent
    // (this one: the return was the broker's mistake) answers the mapper's Advertise at once.
    t.mapperSink!.onUndeliverable(returned, 'a');
    // Well within its ping interval (1 s): the Advertise brought it back, not its next Ping.
    await advance(300);
    expect(await held).toBe('held');
    expect(t.requests().filter((r) => r.packet.id === returned.id).map((r) => r.agent)).toEqual(['a', 'a']);
    await expect(m.request('/svc/who')).resolves.toBe('a');
    expect(m.stats.redispatched).toBe(1);
  });

  test('a forged Register that changes what a known agent serves is undone at once (the mapper asks the agent)', async () => {
    const { m } = await live();
    const f = await forger();
    f.broadcast(register('a', { routes: [{ route: '/svc/other', idempotent: false }], pingInterval: 100 }));
    await flush();
    expect(m.agents()[0]).toMatchObject({ routes: ['/svc/who', '/svc/hold'], pingInterval: 1_000 });
    await expect(m.request('/svc/who')).resolves.toBe('a');
    // Two forgeries in a row: the second ask waits for the agent's next Ping (asks are throttled).
    f.broadcast(register('a', { routes: [] }));
    await flush();
    f.broadcast(register('a', { routes: [] }));
    await flush();
    expect(m.agents()[0]!.routes).toEqual([]);
    await advance(1_000);
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });

  test('a forged Register for an agent the mapper had just dropped does not stick (found by fuzzing)', async () => {
    const { m, t } = await live();
    const f = await forger();
    t.mapperSink!.onAgentGone!('a');
    f.broadcast(register('a', { routes: [{ route: '/x', idempotent: false }], pingInterval: 300_000 }));
    await flush();
    // The mapper asked the dropped agent back at once: its own Register comes after or before the
    // forged one, and either way the mapper asks once more and ends with what the agent says.
    await advance(1_000);
    expect(m.agents()[0]).toMatchObject({ routes: ['/svc/who', '/svc/hold'], pingInterval: 1_000 });
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });

  test('a forged UnRegister is undone by the next genuine Ping', async () => {
    const { m } = await live();
    const f = await forger();
    f.broadcast({ v: 1, type: 'unregister', identity: 'a' });
    await flush();
    await expect(m.request('/svc/who')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    await advance(1_000);
    await expect(m.request('/svc/who')).resolves.toBe('a');
  });
  test('a forged UnRegister does not fail the requests the live agent is running: they get their results', async () => {
    const { m } = await live();
    const f = await forger();
    const running = m.call('/svc/hold'); // not idempotent: losing its agent would fail it with NANITE_ERR_AGENT_LOST
    await flush();
    f.broadcast({ v: 1, type: 'unregister', identity: 'a' });
    f.broadcast({ v: 1, type: 'unregister', identity: 'a' }); // a second one does not cut the wait short
    await flush();
    expect(m.agents()).toEqual([]); // out of dispatch at once
    await advance(100);
    await expect(running).resolves.toMatchObject({ result: 'held', agent: 'a', attempts: 1 });
    await advance(1_000);
    await expect(m.request('/svc/who')).resolves.toBe('a'); // and back after its next Ping
  });

  test('requests on an agent that unregistered and registered again move to its new record (counted there) and are still answered', async () => {
    const { m } = await live();
    const f = await forger();
    const running = m.call('/svc/hold');
    await flush();
    f.broadcast({ v: 1, type: 'unregister', identity: 'a' });
    f.broadcast(register('a', { routes: [{ route: '/svc/who', idempotent: false }, { route: '/svc/hold', idempotent: false }], pingInterval: 1_000 }));
    await flush();
    expect(m.agents().map((x) => [x.identity, x.pending])).toEqual([['a', 1]]); // its request came along
    await advance(100);
    await expect(running).resolves.toMatchObject({ result: 'held', agent: 'a' });
    expect(m.agents().map((x) => [x.identity, x.pending])).toEqual([['a', 0]]);
  });

  test('requests still on an agent that unregistered and went silent are failed (or moved) two of its pings later', async () => {
    const { m, t } = await live();
    // Stands in for an agent whose result never comes: it registers, takes the request, unregisters.
    const f = await forger();
    f.broadcast(register('evil', { routes: [{ route: '/mute/x', idempotent: false }], pingInterval: 1_000 }));
    await flush();
    const lost = m.request('/mute/x').catch((e: { code: string }) => e.code);
    await flush();
    expect(t.requests().at(-1)?.agent).toBe('evil');
    f.broadcast({ v: 1, type: 'unregister', identity: 'evil' });
    await advance(1_900);
    let settled = false;
    void lost.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await advance(200);
    await expect(lost).resolves.toBe('NANITE_ERR_AGENT_LOST');
  });

});

describe('the agents serving a route', () => {
  // Registry.serving remembers the last route it answered (a caller sending one route in a loop
  // skips the map lookup): every change of who serves what must show at once.
  it('follows registers, suspensions, resumes, re-registers and removals of the route asked last', () => {
    const registry = new Registry();
    const ids = (route: string): string[] => registry.serving(route).map((a) => a.identity);
    const reg = (identity: string, routes: string[]): RegisterPacket => register(identity, { routes: routes.map((route) => ({ route, idempotent: false })) });
    expect(ids('/r')).toEqual([]);
    registry.register(reg('a', ['/r']), 0);
    expect(ids('/r')).toEqual(['a']);
    registry.register(reg('b', ['/r']), 0);
    expect(ids('/r')).toEqual(['a', 'b']);
    registry.suspend(registry.get('a')!);
    expect(ids('/r')).toEqual(['b']);
    registry.remove('b');
    expect(ids('/r')).toEqual([]);
    registry.resume(registry.get('a')!);
    expect(ids('/r')).toEqual(['a']);
    registry.register(reg('a', ['/s']), 0);
    expect(ids('/r')).toEqual([]);
    expect(ids('/s')).toEqual(['a']);
    expect(ids('/r')).toEqual([]);
  });
});
