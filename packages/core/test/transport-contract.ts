/**
 * The transport contract: every transport (memory://, amqp://) must pass this suite.
 *
 * `cluster()` returns a factory of transports that reach each other (for amqp: a fresh topology
 * prefix per test), so tests never see each other's traffic.
 */
import { Actor, Agent, Expose, Mapper, NaniteError, type AgentSink, type MapperSink, type RequestContext, type RequestPacket, type Transport } from '../src';

export interface ContractCluster {
  transport(): Transport;
}

export interface ContractOptions {
  /** How long to wait for something that should happen (ms); generous for brokers. */
  patience?: number;
}

/** Records what a sink receives and lets a test wait for it. */
class Inbox {
  readonly packets: unknown[] = [];
  readonly undeliverable: Array<{ packet: RequestPacket; agent: string }> = [];
  readonly malformed: string[] = [];
  private waiters: Array<() => void> = [];

  push(list: unknown[], item: unknown): void {
    list.push(item);
    for (const w of this.waiters.splice(0)) w();
  }

  async until(cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('contract: condition not met in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  agentSink(): AgentSink {
    return { onPacket: (p, settle) => { this.push(this.packets, p); settle(); }, onMalformed: (r) => this.push(this.malformed, r) };
  }

  mapperSink(): MapperSink {
    return {
      onPacket: (p) => this.push(this.packets, p),
      onMalformed: (r) => this.push(this.malformed, r),
      onUndeliverable: (packet, agent) => this.push(this.undeliverable, { packet, agent }),
    };
  }
}

const req = (id: number, route = '/t/echo', payload: unknown = { n: id }): RequestPacket => ({
  v: 1, type: 'request', id, route, payload, replyTo: 'm1', timeout: 0, hops: 0,
});

@Actor('contract')
class ContractActor {
  @Expose({ idempotent: true })
  echo(payload: unknown, ctx: RequestContext): unknown {
    return { payload, agent: ctx.agent };
  }

  @Expose()
  async steps(payload: unknown, ctx: RequestContext): Promise<string> {
    for (let i = 0; i < (payload as number); i++) ctx.progress('step', i);
    return 'done';
  }

  @Expose()
  fail(): never {
    const err = new Error('kaput') as Error & { code: string };
    err.code = 'E_KAPUT';
    throw err;
  }

  @Expose()
  wait(_p: unknown, ctx: RequestContext): Promise<string> {
    return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted')));
  }
}

export function describeTransportContract(name: string, cluster: () => ContractCluster, options: ContractOptions = {}): void {
  const patience = options.patience ?? 2_000;

  describe(`transport contract: ${name}`, () => {
    let c: ContractCluster;
    const open: Transport[] = [];
    const make = async (): Promise<Transport> => {
      const t = c.transport();
      open.push(t);
      await t.connect();
      return t;
    };

    beforeEach(() => {
      c = cluster();
    });

    afterEach(async () => {
      for (const t of open.splice(0)) await t.close();
    });

    test('a packet sent to an agent reaches that agent only, with its payload intact', async () => {
      const ta = await make();
      const tm = await make();
      const a = new Inbox();
      const b = new Inbox();
      const m = new Inbox();
      await ta.openAgent('agent-a', a.agentSink(), { prefetch: 8 });
      await ta.openAgent('agent-b', b.agentSink(), { prefetch: 8 });
      const link = await tm.openMapper('m1', m.mapperSink());
      const payload = { text: 'héllo', list: [1, 2.5, null, true], nested: { deep: ['x'] } };
      link.send('agent-a', req(1, '/t/echo', payload));
      await a.until(() => a.packets.length === 1, patience);
      expect(a.packets[0]).toEqual(req(1, '/t/echo', payload));
      expect(b.packets).toEqual([]);
    });

    test('heartbeats reach every mapper; advertise reaches every agent', async () => {
      const t1 = await make();
      const t2 = await make();
      const m1 = new Inbox();
      const m2 = new Inbox();
      const a = new Inbox();
      const b = new Inbox();
      const l1 = await t1.openMapper('m1', m1.mapperSink());
      await t2.openMapper('m2', m2.mapperSink());
      const la = await t1.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
      await t2.openAgent('agent-b', b.agentSink(), { prefetch: 1 });
      la.broadcast({ v: 1, type: 'ping', identity: 'agent-a', status: 0.5, inFlight: 0 });
      await m1.until(() => m1.packets.length === 1 && m2.packets.length === 1, patience);
      expect(m2.packets[0]).toMatchObject({ type: 'ping', identity: 'agent-a' });
      l1.broadcast({ v: 1, type: 'advertise', mapper: 'm1' });
      await a.until(() => a.packets.length === 1 && b.packets.length === 1, patience);
      expect(b.packets[0]).toEqual({ v: 1, type: 'advertise', mapper: 'm1' });
    });

    test('replies reach the mapper they are addressed to, in order', async () => {
      const ta = await make();
      const tm = await make();
      const m1 = new Inbox();
      const m2 = new Inbox();
      await tm.openMapper('m1', m1.mapperSink());
      await tm.openMapper('m2', m2.mapperSink());
      const la = await ta.openAgent('agent-a', new Inbox().agentSink(), { prefetch: 1 });
      for (let i = 0; i < 50; i++) la.reply('m1', { v: 1, type: 'progress', id: 7, from: 'agent-a', key: 'k', value: i });
      la.reply('m1', { v: 1, type: 'result', id: 7, from: 'agent-a', ok: true, result: 'done' });
      await m1.until(() => m1.packets.length === 51, patience);
      expect(m1.packets.slice(0, 50).map((p) => (p as { value: number }).value)).toEqual([...Array(50).keys()]);
      expect(m1.packets[50]).toMatchObject({ type: 'result', result: 'done' });
      expect(m2.packets.filter((p) => (p as { type: string }).type !== 'ping')).toEqual([]);
    });

    test('a request to an unknown or paused agent comes back as undeliverable', async () => {
      const ta = await make();
      const tm = await make();
      const m = new Inbox();
      const a = new Inbox();
      const link = await tm.openMapper('m1', m.mapperSink());
      const la = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
      link.send('nobody', req(1));
      await m.until(() => m.undeliverable.length === 1, patience);
      expect(m.undeliverable[0]).toEqual({ packet: req(1), agent: 'nobody' });
      await la.pause();
      link.send('agent-a', req(2));
      await m.until(() => m.undeliverable.length === 2, patience);
      expect(m.undeliverable[1]!.agent).toBe('agent-a');
      expect(a.packets).toEqual([]);
    });

    test('after close nothing is delivered and close is idempotent', async () => {
      const ta = await make();
      const tm = await make();
      const m = new Inbox();
      const a = new Inbox();
      const link = await tm.openMapper('m1', m.mapperSink());
      const la = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
      await la.close();
      await la.close();
      link.send('agent-a', req(3));
      await m.until(() => m.undeliverable.length === 1, patience);
      expect(a.packets).toEqual([]);
    });

    describe('agents and mappers over it', () => {
      let agents: Agent[];
      let mapper: Mapper;

      beforeEach(async () => {
        const t = await make();
        agents = ['alpha', 'beta'].map((identity) => new Agent({ transport: t, identity, actors: [new ContractActor()], pingInterval: 200 }));
        for (const a of agents) await a.start();
        mapper = new Mapper({ transport: await make(), timeout: patience });
        await mapper.start();
        await mapper.waitForAgents({ route: '/contract/echo', count: 2, timeout: patience });
      });

      afterEach(async () => {
        await mapper.close();
        for (const a of agents) await a.stop();
      });

      test('request, fan-out and progress', async () => {
        const r = await mapper.call('/contract/echo', { a: 1 });
        expect(r.result).toEqual({ payload: { a: 1 }, agent: r.agent });
        const all = await mapper.request('/contract/echo', 'x', { selector: 'all' });
        expect(Object.keys(all).sort()).toEqual(['alpha', 'beta']);
        expect(all.alpha).toEqual({ ok: true, result: { payload: 'x', agent: 'alpha' } });
        const steps: unknown[] = [];
        await expect(mapper.request('/contract/steps', 5, { onProgress: (k, v) => steps.push(v) })).resolves.toBe('done');
        expect(steps).toEqual([0, 1, 2, 3, 4]);
      });

      test('a handler error arrives as a structured NaniteError', async () => {
        const err = await mapper.request('/contract/fail').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NaniteError);
        expect(err).toMatchObject({ code: 'NANITE_ERR_HANDLER', message: 'kaput', data: { name: 'Error', code: 'E_KAPUT' } });
      });

      test('a timeout rejects the caller and aborts the handler', async () => {
        const err = await mapper.request('/contract/wait', null, { timeout: 100 }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
        // The handler settles once its signal fires; the agent then frees the slot.
        await new Inbox().until(() => agents.reduce((n, a) => n + a.inFlight, 0) === 0, patience);
      });
    });
  });
}
