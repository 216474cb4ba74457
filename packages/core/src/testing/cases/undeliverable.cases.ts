/**
 * Undeliverable returns: the mapper re-dispatches at once instead of waiting for a timeout, so a
 * request that cannot reach its agent must come back to the mapper that sent it, promptly.
 */
import { same } from '../same';
import type { Transport } from '../../transport/transport';
import { MAPPER, request, type ContractHarness } from '../contract.harness';
import { SinkRecorder, watch } from '../sink-recorder';

/** "Promptly": a return is an event of the wire, not of a timer. */
const PROMPT = 1_000;

/** Cases of every transport: requests that cannot reach their agent come back to their sender. */
export function undeliverableCases<T extends Transport>(h: ContractHarness<T>, it: (name: string, fn: () => Promise<void>) => void): void {
  const { patience, quiet } = h.o;
  const prompt = Math.min(PROMPT, patience);

  it('a request or push to an agent that does not exist comes back to its sender promptly (a cancel does not)', async () => {
    const tm = await h.transport();
    const m = new SinkRecorder();
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    link.send('nobody', { v: 1, type: 'cancel', id: 1, replyTo: MAPPER });
    link.send('nobody', request(2));
    link.send('nobody', request(3, { type: 'push' }));
    await m.until(() => m.undeliverable.length >= 2, prompt, 'the return of a request and a push to an unknown agent');
    await watch(quiet);
    same(m.undeliverable, [
      { packet: request(2), agent: 'nobody' },
      { packet: request(3, { type: 'push' }), agent: 'nobody' },
    ]);
  });

  it('a request to an agent whose link closed comes back to its sender promptly', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    const agent = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    await agent.close();
    link.send('agent-a', request(1));
    await m.until(() => m.undeliverable.length === 1, prompt, 'the return of a request to a closed agent');
    same(m.undeliverable, [{ packet: request(1), agent: 'agent-a' }]);
    same(a.packets, []);
  });

  it('a request to a paused agent comes back; heartbeats and replies from it still flow', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    const agent = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    await agent.pause();
    link.send('agent-a', request(1));
    await m.until(() => m.undeliverable.length === 1, prompt, 'the return of a request to a paused agent');
    same(m.undeliverable, [{ packet: request(1), agent: 'agent-a' }]);
    agent.broadcast({ v: 1, type: 'ping', identity: 'agent-a', status: 0, inFlight: 0 });
    agent.reply(MAPPER, { v: 1, type: 'result', id: 9, from: 'agent-a', ok: true, result: 'late' });
    await m.until(() => m.packets.length === 2, patience, 'a heartbeat and a reply from the paused agent');
    same(m.packets.map((p) => (p as { type: string }).type).sort(), ['ping', 'result']);
    same(a.packets, []);
  });

  it('only the mapper that sent a request hears that it came back', async () => {
    const t1 = await h.transport();
    const t2 = await h.transport();
    const m1 = new SinkRecorder();
    const m2 = new SinkRecorder();
    const l1 = await t1.openMapper('m1', m1.mapperSink());
    await t2.openMapper('m2', m2.mapperSink());
    l1.send('nobody', request(1, { replyTo: 'm1' }));
    await m1.until(() => m1.undeliverable.length === 1, prompt, 'the return to m1');
    await watch(quiet);
    same(m2.undeliverable, []);
  });
}
