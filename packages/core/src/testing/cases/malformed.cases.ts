/**
 * Undecodable bytes: a byte-level transport reports them to the receiving sink and keeps going;
 * it never throws, never stalls its flow control on them.
 */
import { strictEqual } from 'node:assert/strict';
import { same } from '../same';
import { JsonSerializer } from '../../serializer/json.serializer';
import type { Serializer } from '../../serializer/serializer';
import type { Transport } from '../../transport/transport';
import { MAPPER, request, type ContractHarness } from '../contract.harness';
import { SinkRecorder } from '../sink-recorder';

type It = (name: string, fn: () => Promise<void>) => void;

const POISON = 'contract-poison-\u2620';

/** JSON, except that a packet carrying {@link POISON} is encoded as bytes no JSON parser accepts. */
class PoisonSerializer implements Serializer {
  private readonly json = new JsonSerializer();
  readonly contentType = this.json.contentType;

  encode(packet: object): Buffer {
    const bytes = this.json.encode(packet);
    return bytes.includes(POISON) ? Buffer.from([0x7b, 0xff, 0x00, 0x6e, 0x6f]) : bytes;
  }

  decode(bytes: Buffer): unknown {
    return this.json.decode(bytes);
  }
}

/** Cases of `capabilities.serializer`: undecodable bytes reach `onMalformed`, and traffic goes on. */
export function malformedCases<T extends Transport>(h: ContractHarness<T>, it: It): void {
  const { patience } = h.o;

  it("undecodable bytes to an agent reach its onMalformed, and the next request still arrives", async () => {
    const serializer = new PoisonSerializer();
    const ta = await h.transport({ serializer });
    const tm = await h.transport({ serializer });
    const a = new SinkRecorder();
    await ta.openAgent('agent-a', a.agentSink(), { prefetch: 1 });
    const link = await tm.openMapper(MAPPER, new SinkRecorder().mapperSink());
    link.send('agent-a', request(1, { payload: POISON }));
    link.send('agent-a', request(2));
    await a.until(() => a.malformed.length === 1 && a.packets.length === 1, patience, 'onMalformed, then the next request');
    strictEqual(typeof a.malformed[0], 'string');
    same(a.packets, [request(2)]);
  });

  it('undecodable heartbeats and replies reach the mapper\'s onMalformed, and the next ones still arrive', async () => {
    const serializer = new PoisonSerializer();
    const ta = await h.transport({ serializer });
    const tm = await h.transport({ serializer });
    const m = new SinkRecorder();
    await tm.openMapper(MAPPER, m.mapperSink());
    const agent = await ta.openAgent('agent-a', new SinkRecorder().agentSink(), { prefetch: 1 });
    agent.broadcast({ v: 1, type: 'ping', identity: POISON, status: 0, inFlight: 0 });
    agent.reply(MAPPER, { v: 1, type: 'result', id: 1, from: 'agent-a', ok: true, result: POISON });
    agent.reply(MAPPER, { v: 1, type: 'result', id: 2, from: 'agent-a', ok: true, result: 'fine' });
    await m.until(() => m.malformed.length === 2 && m.packets.length === 1, patience, 'two onMalformed, then the next reply');
    same(m.packets, [{ v: 1, type: 'result', id: 2, from: 'agent-a', ok: true, result: 'fine' }]);
  });
}
