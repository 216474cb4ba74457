/**
 * Flow control and the fate of requests an agent holds: what the mapper's dispatch relies on to
 * bound an agent's work and to move requests that an agent will not run.
 */
import { ok, strictEqual } from 'node:assert/strict';
import { same } from '../same';
import type { SendOptions, Transport } from '../../transport/transport';
import { ids, MAPPER, request, type ContractHarness } from '../contract.harness';
import { SinkRecorder, watch } from '../sink-recorder';

type It = (name: string, fn: () => Promise<void>) => void;

/** Cases of `capabilities.prefetch` (and `ttl`, which needs it to be observable). */
export function prefetchCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience, quiet } = h.o;

  /** Sends `count` requests to an agent that holds (does not settle) what it receives. */
  const heldAgent = async (prefetch: number, count: number, options?: SendOptions) => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink('held'), { prefetch });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    for (let i = 1; i <= count; i++) link.send('agent-a', request(i), options);
    return { a, m, agent, link };
  };

  /** Settles one request at a time and checks that exactly one more comes in each time. */
  const drainOneByOne = async (a: SinkRecorder, prefetch: number, count: number): Promise<void> => {
    for (let delivered = prefetch; delivered < count; delivered++) {
      a.settleOldest();
      await a.until(() => a.packets.length === delivered + 1, patience, `request ${delivered + 1} after a settle`);
      strictEqual(a.unsettled.length, prefetch, 'unsettled requests after a settle');
    }
    while (a.unsettled.length > 0) a.settleOldest();
    same(ids(a.packets), [...Array(count).keys()].map((i) => i + 1));
  };

  it('at most `prefetch` requests are delivered unsettled; each settle lets the next one in', async () => {
    const { a } = await heldAgent(2, 5);
    await a.until(() => a.packets.length === 2, patience, 'the first 2 requests');
    await watch(quiet);
    strictEqual(a.packets.length, 2, 'requests delivered while 2 (= prefetch) are unsettled');
    await drainOneByOne(a, 2, 5);
  });

  it("per-request delivery 'at-most-once' does not bypass the prefetch bound", async () => {
    const { a } = await heldAgent(2, 6, { delivery: 'at-most-once' });
    await a.until(() => a.packets.length === 2, patience, 'the first 2 requests');
    await watch(quiet);
    strictEqual(a.packets.length, 2, "at-most-once requests delivered while 2 (= prefetch) are unsettled");
    await drainOneByOne(a, 2, 6);
  });

  it('a cancel reaches an agent whose window is full: the running request it names can be stopped', async () => {
    const { a, m, agent, link } = await heldAgent(1, 2);
    await a.until(() => a.packets.length === 1, patience, 'the first request');
    // As an agent does before taking work: its heartbeats tell mappers how to reach it.
    agent.broadcast({ v: 1, type: 'ping', identity: 'agent-a', status: 0, inFlight: 1 });
    await m.until(() => m.ofType('ping').length === 1, patience, "the agent's heartbeat");
    link.send('agent-a', { v: 1, type: 'cancel', id: 1, replyTo: MAPPER });
    await a.until(() => a.packets.some((p) => (p as { type?: unknown }).type === 'cancel'), patience, 'the cancel, while request 1 holds the only slot');
    same(ids(a.packets.filter((p) => (p as { type?: unknown }).type === 'request')), [1]); // request 2 still waits for the slot
  });

  it('pausing hands back the requests still waiting; those delivered stay with the agent and can be settled', async () => {
    const { a, m, agent } = await heldAgent(1, 4);
    await a.until(() => a.packets.length === 1, patience, 'the first request');
    await agent.pause();
    await m.until(() => m.undeliverable.length === 3, patience, 'the hand-back of the 3 waiting requests');
    same(m.undeliverable, [2, 3, 4].map((id) => ({ packet: request(id), agent: 'agent-a' })));
    a.settleOldest();
    await watch(quiet);
    same(ids(a.packets), [1]);
    strictEqual(m.undeliverable.length, 3, 'a request both handed back and kept');
  });

  if (h.o.capabilities.ttl) {
    it('a request whose ttl ran out while it waited is never delivered; one still in time is', async () => {
      const ta = await h.transport();
      const tm = await h.transport();
      const a = new SinkRecorder();
      await ta.openAgent('agent-a', a.agentSink('held'), { prefetch: 1 });
      const link = await tm.openMapper(MAPPER, new SinkRecorder().mapperSink());
      const ttl = Math.max(50, Math.floor(quiet / 2));
      link.send('agent-a', request(1), { ttl: 60_000 });
      link.send('agent-a', request(2), { ttl });
      link.send('agent-a', request(3), { ttl: 60_000 });
      link.send('agent-a', request(4));
      await a.until(() => a.packets.length === 1, patience, 'the first request (a ttl does not delay delivery)');
      await watch(ttl + quiet);
      a.settleOldest();
      await a.until(() => a.packets.length === 2, patience, 'the next request in time');
      a.settleOldest();
      await a.until(() => a.packets.length === 3, patience, 'the request without ttl');
      a.settleOldest();
      await watch(quiet);
      same(ids(a.packets), [1, 3, 4], `request 2 (ttl ${ttl} ms) waited ${ttl + quiet} ms behind request 1: it must not be delivered`);
    });
  }
}

/** Cases of `capabilities.agentGone`. */
export function agentGoneCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  it('a request delivered to an agent whose link closes before settling it is reported to its mapper', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink('held'), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    link.send('agent-a', request(1));
    await a.until(() => a.packets.length === 1, patience, 'the request');
    await agent.close();
    await m.until(() => m.gone.includes('agent-a') || m.undeliverable.some((u) => u.agent === 'agent-a'), patience, 'onAgentGone or onUndeliverable for the closed agent');
  });
}

/** Cases of `capabilities.park`. */
export function parkCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  it('a parked request reaches an agent serving its route that appears later', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const link = await tm.openMapper(MAPPER, new SinkRecorder().mapperSink());
    ok(link.park, 'capabilities.park is true but MapperLink.park is undefined');
    const parked = request(1, { route: '/contract/parked', payload: { kept: ['for', 'later'] } });
    link.park(parked, 60_000);
    await ta.openAgent('agent-p', a.agentSink(), { prefetch: 1, routes: ['/contract/parked'] });
    await a.until(() => a.packets.length === 1, patience, 'the parked request at the new agent');
    same(a.packets, [parked]);
  });
}
