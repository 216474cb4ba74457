/**
 * The agent side of secure bundles (SecureAgentLink over a link with `replyMany`): a lone reply
 * goes as a lone sealed packet, replies made in one turn for one mapper go as one bundle the
 * mapper opens into the same packets in order, other replies keep their order behind them, and a
 * packet the wire refuses throws to its maker at once. On a link that is not busy the first result
 * of a turn leaves at once; a settle waits for the replies of its turn.
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
  /** What the inner link answers to `busy()` (undefined: it has no `busy`). */
  let busy: boolean | undefined;
  const log: string[] = [];

  const open = (): SecureAgentLink => {
    const inner: AgentLink = {
      broadcast: () => undefined,
      reply: (_m, p) => {
        sent.push({ via: 'reply', outer: p as unknown as Record<string, unknown> });
        log.push(`sent ${p.type}`);
      },
      replyMany: (_m, packets, seal) => {
        const outer = seal(packets);
        if (outer) sent.push({ via: 'replyMany', outer: outer as unknown as Record<string, unknown> });
        log.push(`sent ${String(outer?.type)}`);
      },
      ...(busy === undefined ? {} : { busy: () => busy! }),
      pause: async () => undefined,
      close: async () => undefined,
    };
    return new SecureAgentLink(inner, { identity: 'fred', codec: agent, faults: new SecureFaults(quiet, {}), log: quiet }, undefined);
  };

  beforeEach(async () => {
    ({ agent, mapper } = await pairedCodecs());
    sent = [];
    log.length = 0;
    busy = undefined;
    link = open();
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

  test('on a link that is not busy, a result leaves at once; the others of the same turn are bundled, and their settles wait for the bundle', async () => {
    busy = false;
    link = open();
    link.reply('web', result(1));
    link.settleAfterReplies(() => log.push('settled 1'));
    expect(log).toEqual(['sent result', 'settled 1']);
    link.reply('web', result(2));
    link.settleAfterReplies(() => log.push('settled 2'));
    link.reply('web', result(3));
    link.settleAfterReplies(() => log.push('settled 3'));
    expect(log).toEqual(['sent result', 'settled 1']);
    await tick();
    expect(log).toEqual(['sent result', 'settled 1', 'sent bundle', 'settled 2', 'settled 3']);
    // A new turn: the first result goes at once again.
    link.reply('web', result(4));
    expect(log.at(-1)).toBe('sent result');
    const opened = sent.map((x) => mapper.open(x.outer));
    expect(opened.map((o) => (typeof o === 'object' ? (o.bundle ?? [o.packet]).map((p) => p.id) : o))).toEqual([[1], [2, 3], [4]]);
  });

  test('on a busy link a result waits for the end of the turn, and so does its settle', async () => {
    busy = true;
    link = open();
    link.reply('web', result(1));
    link.settleAfterReplies(() => log.push('settled 1'));
    expect(log).toEqual([]);
    await tick();
    expect(log).toEqual(['sent result', 'settled 1']);
  });

  test('close() sends what waits', async () => {
    link.reply('web', result(1));
    link.reply('web', result(2));
    await link.close();
    expect(sent.map((s) => s.outer.type)).toEqual(['bundle']);
  });
});
