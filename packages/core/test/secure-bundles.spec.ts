/**
 * The agent side of secure bundles (SecureAgentLink over a link with `replyMany`): a lone reply
 * goes as a lone sealed packet, replies made in one turn for one mapper go as one bundle the
 * mapper opens into the same packets in order, other replies keep their order behind them, and a
 * packet the wire refuses throws to its maker at once.
 */
import type { ReplyPacket } from '../src';
import { SecureAgentLink } from '../src/serializer/secure/secure-agent.link';
import type { SecureCodec } from '../src/serializer/secure/secure-codec';
import { SecureFaults } from '../src/serializer/secure/secure-faults';
import type { AgentLink } from '../src/transport/transport';
import { pairedCodecs } from './secure-codecs';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const tick = (): Promise<void> => new Promise((r) => process.nextTick(r));

describe('secure result bundles (agent side)', () => {
  let agent: SecureCodec;
  let mapper: SecureCodec;
  let sent: Array<{ via: 'reply' | 'replyMany'; outer: Record<string, unknown> }>;
  let link: SecureAgentLink;

  beforeEach(async () => {
    ({ agent, mapper } = await pairedCodecs());
    sent = [];
    const inner: AgentLink = {
      broadcast: () => undefined,
      reply: (_m, p) => void sent.push({ via: 'reply', outer: p as unknown as Record<string, unknown> }),
      replyMany: (_m, packets, seal) => {
        const outer = seal(packets);
        if (outer) sent.push({ via: 'replyMany', outer: outer as unknown as Record<string, unknown> });
      },
      pause: async () => undefined,
      close: async () => undefined,
    };
    link = new SecureAgentLink(inner, { identity: 'fred', codec: agent, faults: new SecureFaults(quiet, {}), log: quiet }, undefined);
  });

  const result = (id: number): ReplyPacket => ({ v: 1, type: 'result', id, from: 'fred', ok: true, result: `r${id}` });

  test('a lone reply goes as a lone sealed result, at the end of the turn', async () => {
    link.reply('web', result(1));
    expect(sent).toEqual([]);
    await tick();
    expect(sent.map((s) => [s.via, s.outer.type])).toEqual([['reply', 'result']]);
    const opened = mapper.open(sent[0]!.outer);
    expect(typeof opened === 'object' && opened.packet).toEqual(result(1));
  });

  test('replies of one turn go as one bundle that opens into the same packets, in order; a chunk keeps its place behind them', async () => {
    link.reply('web', result(1));
    link.reply('web', { v: 1, type: 'progress', id: 2, from: 'fred', key: 'k', value: 5 });
    link.reply('web', result(2));
    link.reply('web', { v: 1, type: 'chunk', id: 3, from: 'fred', seq: 0, data: 'x' } as unknown as ReplyPacket);
    link.reply('web', result(4));
    await tick();
    expect(sent.map((s) => [s.via, s.outer.type])).toEqual([['replyMany', 'bundle'], ['reply', 'chunk'], ['reply', 'result']]);
    const opened = mapper.open(sent[0]!.outer);
    expect(typeof opened === 'object' && opened.bundle?.map((p) => [p.type, p.id])).toEqual([['result', 1], ['progress', 2], ['result', 2]]);
    for (const s of sent.slice(1)) expect(typeof mapper.open(s.outer)).toBe('object');
  });

  test('a packet the wire refuses throws to its maker and nothing of it is sent', async () => {
    expect(() => link.reply('web', { ...result(1), result: 10n } as unknown as ReplyPacket)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_PAYLOAD' }));
    link.reply('web', result(2));
    await tick();
    expect(sent.map((s) => s.outer.type)).toEqual(['result']);
  });

  test('close() sends what waits', async () => {
    link.reply('web', result(1));
    link.reply('web', result(2));
    await link.close();
    expect(sent.map((s) => s.outer.type)).toEqual(['bundle']);
  });
});
