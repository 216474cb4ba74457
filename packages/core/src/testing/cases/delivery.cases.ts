/**
 * Addressing and integrity: what reaches whom, in which order, unchanged.
 */
import { strictEqual } from 'node:assert/strict';
import { same } from '../same';
import type { ProgressPacket, ResultPacket } from '../../protocol/packets';
import type { Transport } from '../../transport/transport';
import { ids, MAPPER, request, type ContractHarness } from '../contract.harness';
import { SinkRecorder, watch } from '../sink-recorder';

/** Values a transport must carry unchanged (what JSON can represent, edge cases included). */
export const CONTRACT_PAYLOADS: readonly unknown[] = [
  { text: 'héllo wörld ✓ 日本 🚀', list: [1, 2.5, -3, 0, null, true, false], nested: { deep: [{ x: ['y'] }] } },
  '',
  0,
  -1.5e-7,
  Number.MAX_SAFE_INTEGER,
  false,
  null,
  [],
  {},
  'line\nbreak\ttab "quotes" \\ backslash \u0000 nul',
  'x'.repeat(64 * 1024),
];

/** Cases of every transport: addressing, order and integrity of what is delivered. */
export function deliveryCases<T extends Transport>(h: ContractHarness<T>, it: (name: string, fn: () => Promise<void>) => void): void {
  const { patience, quiet } = h.o;

  it('a request or push reaches the agent it is addressed to, and no other', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const b = new SinkRecorder();
    await ta.openAgent('agent-a', a.agentSink(), { prefetch: 8 });
    await ta.openAgent('agent-b', b.agentSink(), { prefetch: 8 });
    const link = await tm.openMapper(MAPPER, new SinkRecorder().mapperSink());
    link.send('agent-a', request(1));
    link.send('agent-a', request(2, { type: 'push' }));
    await a.until(() => a.packets.length === 2, patience, 'delivery of a request and a push to agent-a');
    same(a.packets, [request(1), request(2, { type: 'push' })]);
    await watch(quiet);
    same(b.packets, []);
  });

  it('requests from one mapper to one agent arrive in the order they were sent', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    await ta.openAgent('agent-a', a.agentSink(), { prefetch: 100 });
    const link = await tm.openMapper(MAPPER, new SinkRecorder().mapperSink());
    for (let i = 1; i <= 50; i++) link.send('agent-a', request(i));
    await a.until(() => a.packets.length === 50, patience, 'delivery of 50 requests');
    same(ids(a.packets), [...Array(50).keys()].map((i) => i + 1));
  });

  it('payloads cross unchanged in requests, progress and results', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 100 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    CONTRACT_PAYLOADS.forEach((payload, i) => link.send('agent-a', request(i + 1, { payload })));
    await a.until(() => a.packets.length === CONTRACT_PAYLOADS.length, patience, 'delivery of every payload');
    same(a.packets, CONTRACT_PAYLOADS.map((payload, i) => request(i + 1, { payload })));
    const replies: Array<ProgressPacket | ResultPacket> = CONTRACT_PAYLOADS.flatMap((value, i): Array<ProgressPacket | ResultPacket> => [
      { v: 1, type: 'progress', id: i + 1, from: 'agent-a', key: 'k', value },
      { v: 1, type: 'result', id: i + 1, from: 'agent-a', ok: true, result: value },
    ]);
    for (const r of replies) agent.reply(MAPPER, r);
    await m.until(() => m.packets.length === replies.length, patience, 'delivery of every reply');
    same(m.packets, replies);
  });

  it('a heartbeat reaches every mapper, on every transport of the cluster', async () => {
    const t1 = await h.transport();
    const t2 = await h.transport();
    const mappers = [new SinkRecorder(), new SinkRecorder(), new SinkRecorder()];
    await t1.openMapper('m1', mappers[0]!.mapperSink());
    await t2.openMapper('m2', mappers[1]!.mapperSink());
    await t2.openMapper('m3', mappers[2]!.mapperSink());
    const agent = await t1.openAgent('agent-a', new SinkRecorder().agentSink(), { prefetch: 1 });
    const ping = { v: 1, type: 'ping', identity: 'agent-a', status: 0.5, inFlight: 0 } as const;
    agent.broadcast(ping);
    await mappers[0]!.until(() => mappers.every((m) => m.packets.length === 1), patience, 'a heartbeat at all three mappers');
    for (const m of mappers) same(m.packets, [ping]);
  });

  it('an advertise reaches every agent', async () => {
    const t1 = await h.transport();
    const t2 = await h.transport();
    const agents = [new SinkRecorder(), new SinkRecorder()];
    await t1.openAgent('agent-a', agents[0]!.agentSink(), { prefetch: 1 });
    await t2.openAgent('agent-b', agents[1]!.agentSink(), { prefetch: 1 });
    const link = await t1.openMapper(MAPPER, new SinkRecorder().mapperSink());
    link.broadcast({ v: 1, type: 'advertise', mapper: MAPPER });
    await agents[0]!.until(() => agents.every((a) => a.packets.length === 1), patience, 'an advertise at both agents');
    for (const a of agents) same(a.packets, [{ v: 1, type: 'advertise', mapper: MAPPER }]);
  });

  it('a survey reaches every agent, and each answer reaches only the surveying mapper', async () => {
    const t1 = await h.transport();
    const t2 = await h.transport();
    const agents = [new SinkRecorder(), new SinkRecorder()];
    const links = [await t1.openAgent('agent-a', agents[0]!.agentSink(), { prefetch: 1 }), await t2.openAgent('agent-b', agents[1]!.agentSink(), { prefetch: 1 })];
    const surveyor = new SinkRecorder();
    const bystander = new SinkRecorder();
    const link = await t1.openMapper(MAPPER, surveyor.mapperSink());
    await t2.openMapper('m-other', bystander.mapperSink());
    const survey = { v: 1, type: 'survey', id: 'survey-1', route: '/contract/echo', payload: { q: 'who' }, replyTo: MAPPER, timeout: 5_000 } as const;
    link.broadcast(survey);
    await agents[0]!.until(() => agents.every((a) => a.packets.length === 1), patience, 'the survey at both agents');
    for (const a of agents) same(a.packets, [survey]);
    links[0]!.reply(MAPPER, { v: 1, type: 'answer', id: 'survey-1', from: 'agent-a', ok: true, result: 'a' });
    links[1]!.reply(MAPPER, { v: 1, type: 'answer', id: 'survey-1', from: 'agent-b', ok: true, result: 'b' });
    await surveyor.until(() => surveyor.packets.filter((p) => (p as { type?: unknown }).type === 'answer').length === 2, patience, 'both answers at the surveyor');
    await watch(quiet);
    strictEqual(bystander.packets.filter((p) => (p as { type?: unknown }).type === 'answer').length, 0, 'an answer reached another mapper');
  });

  it('replies reach the mapper they are addressed to, in order, and no other', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const m1 = new SinkRecorder();
    const m2 = new SinkRecorder();
    await tm.openMapper('m1', m1.mapperSink());
    await ta.openMapper('m2', m2.mapperSink());
    const agent = await ta.openAgent('agent-a', new SinkRecorder().agentSink(), { prefetch: 1 });
    for (let i = 0; i < 50; i++) agent.reply('m1', { v: 1, type: 'progress', id: 7, from: 'agent-a', key: 'k', value: i });
    agent.reply('m1', { v: 1, type: 'result', id: 7, from: 'agent-a', ok: true, result: 'done' });
    agent.reply('m2', { v: 1, type: 'result', id: 8, from: 'agent-a', ok: true, result: 'other' });
    await m1.until(() => m1.packets.length === 51 && m2.packets.length === 1, patience, 'replies at m1 and m2');
    same(m1.packets.slice(0, 50).map((p) => (p as ProgressPacket).value), [...Array(50).keys()]);
    same(m1.packets[50], { v: 1, type: 'result', id: 7, from: 'agent-a', ok: true, result: 'done' });
    await watch(quiet);
    strictEqual(m2.packets.length, 1);
    same(m2.packets[0], { v: 1, type: 'result', id: 8, from: 'agent-a', ok: true, result: 'other' });
  });
}
