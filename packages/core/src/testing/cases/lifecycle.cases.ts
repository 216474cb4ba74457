/**
 * Close and reconnect: a transport releases everything it holds, and comes back after an outage.
 */
import { ok } from 'node:assert/strict';
import { same } from '../same';
import type { Transport } from '../../transport/transport';
import { MAPPER, request, type ContractHarness } from '../contract.harness';
import { SinkRecorder } from '../sink-recorder';

type It = (name: string, fn: () => Promise<void>) => void;

/** Sockets, timers and the like that keep the process alive, counted by type. */
function liveResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** The resource types with more live instances now than in `baseline`. */
function grownSince(baseline: Map<string, number>): string[] {
  return [...liveResources()].filter(([type, n]) => n > (baseline.get(type) ?? 0)).map(([type, n]) => `${type} ×${n - (baseline.get(type) ?? 0)}`);
}

/** Cases of every transport: idempotent close that releases everything. */
export function lifecycleCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  it('close is idempotent on links and transports, and releases every socket and timer', async () => {
    const baseline = liveResources();
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    link.send('agent-a', request(1));
    await a.until(() => a.packets.length === 1, patience, 'a request before closing');
    agent.reply(MAPPER, { v: 1, type: 'result', id: 1, from: 'agent-a', ok: true, result: 'r' });
    await m.until(() => m.packets.length === 1, patience, 'a result before closing');
    await Promise.all([agent.close(), agent.close()]);
    await agent.close();
    await Promise.all([link.close(), link.close()]);
    await ta.close();
    await Promise.all([tm.close(), tm.close()]);
    await tm.close();
    // Sockets close asynchronously: give them until `patience`, then name what is left.
    const end = Date.now() + patience;
    while (grownSince(baseline).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    same(grownSince(baseline), [], 'resources still alive after close');
  });

  it('settling after the agent link closed is harmless, and the identity can be opened again', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink('held'), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    link.send('agent-a', request(1));
    await a.until(() => a.packets.length === 1, patience, 'a request before closing');
    await agent.close();
    // What an agent does when a handler outlives its drain: settles on a closed link.
    a.settleOldest();
    const again = new SinkRecorder();
    await ta.openAgent('agent-a', again.agentSink(), { prefetch: 1 });
    link.send('agent-a', request(2));
    await again.until(() => again.packets.length === 1, patience, 'a request to the re-opened identity');
    same(again.packets, [request(2)]);
  });

  it('a link opened on a transport that is then closed is closed with it', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const m = new SinkRecorder();
    const a = new SinkRecorder();
    await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    await ta.close();
    link.send('agent-a', request(1));
    await m.until(() => m.undeliverable.length === 1, patience, 'the return of a request to an agent whose transport closed');
    same(a.packets, []);
  });
}

/** Cases of `capabilities.reconnect`. */
export function reconnectCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  it('after an interrupted connection both sinks get onReconnect, then requests, heartbeats and replies flow again', async () => {
    const ta = await h.transport();
    const tm = await h.transport();
    const changes: boolean[] = [];
    ta.onConnectionChange?.((up) => changes.push(up));
    const a = new SinkRecorder();
    const m = new SinkRecorder();
    const agent = await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, m.mapperSink());
    await h.interrupt(ta);
    await a.until(() => a.reconnects >= 1, patience, "the agent sink's onReconnect");
    await h.interrupt(tm);
    await m.until(() => m.reconnects >= 1, patience, "the mapper sink's onReconnect");
    if (ta.onConnectionChange) {
      ok(changes.includes(false) && changes.lastIndexOf(true) > changes.indexOf(false), `onConnectionChange reported the loss and the return (saw ${JSON.stringify(changes)})`);
      ok(ta.isConnected !== false, 'isConnected after the reconnect');
    }
    agent.broadcast({ v: 1, type: 'ping', identity: 'agent-a', status: 0, inFlight: 0 });
    await m.until(() => m.ofType('ping').length === 1, patience, 'a heartbeat after the reconnect');
    link.send('agent-a', request(1));
    await a.until(() => a.ofType('request').length === 1, patience, 'a request after the reconnect');
    same(a.ofType('request'), [request(1)]);
    agent.reply(MAPPER, { v: 1, type: 'result', id: 1, from: 'agent-a', ok: true, result: 'back' });
    await m.until(() => m.ofType('result').length === 1, patience, 'a result after the reconnect');
    same(m.undeliverable, []);
  });
}
