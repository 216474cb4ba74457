/**
 * Unit tests of amqp:// building blocks that need no broker: the reply cache (what makes re-sent
 * requests run once), the ack batcher, the publish buffer and URL options.
 */
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import fc from 'fast-check';
import { AmqpTransport, NaniteError, amqpNames, type AmqpTransportOptions } from '../src';
import { AckBatcher } from '../src/transport/amqp/ack-batcher';
import { MapperPublisher } from '../src/transport/amqp/mapper-publisher';
import type { AmqpConnection } from '../src/transport/amqp/amqp.connection';
import { PushTagger } from '../src/transport/shared/push-tagger';
import { TagRuns } from '../src/transport/amqp/tag-runs';
import { amqpOptionsFromUrl, brokerUrl } from '../src/transport/amqp/amqp.options';
import { PublishBuffer } from '../src/transport/shared/publish-buffer';
import { HELD_BYTES, RECENT_BYTES, ReplyCache } from '../src/transport/shared/reply-cache';
import { ResultArena } from '../src/transport/shared/result-arena';
import { SlotIndex } from '../src/transport/shared/slot-index';
import { AgentInbox } from '../src/transport/amqp/agent-inbox';
import { JsonSerializer } from '../src/serializer/json.serializer';

describe('SlotIndex', () => {
  test('finds exactly the slots added and not removed, by id and owner, through colliding ids and long probe runs', () => {
    const ids = new Float64Array(64);
    const owners: string[] = [];
    const index = new SlotIndex<string>(64, (s) => ids[s]!, (s) => owners[s]);
    const model = new Map<number, { id: number; owner: string }>();
    let seed = 7;
    const rand = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    for (let step = 0; step < 20_000; step++) {
      const slot = rand(64);
      if (model.has(slot)) {
        index.remove(ids[slot]!, slot);
        model.delete(slot);
      } else {
        // Few distinct ids (many collisions), large ones (above 2^32) among them, two owners.
        ids[slot] = [1, 2, 3, 2 ** 40 + 1, 2 ** 52 + 129, rand(1_000)][rand(6)]!;
        owners[slot] = rand(2) === 0 ? 'a' : 'b';
        if ([...model.values()].some((e) => e.id === ids[slot] && e.owner === owners[slot])) continue;
        index.add(ids[slot]!, slot);
        model.set(slot, { id: ids[slot]!, owner: owners[slot]! });
      }
      const probe = rand(64);
      const want = [...model].find(([, e]) => e.id === ids[probe] && e.owner === owners[probe]);
      expect(index.find(ids[probe]!, owners[probe]!)).toBe(want?.[0]);
    }
  });
});

describe('ResultArena', () => {
  test('evicting what store() says clashes, oldest first, leaves every other result intact, through wrap-arounds and shared copies', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ size: fc.integer({ min: 1, max: 400 }), repeat: fc.boolean() }), { minLength: 1, maxLength: 300 }), (steps) => {
        const arena = new ResultArena(1_000, 300);
        // The cache's part, modelled: results in the order kept (offset -1: kept outside the arena).
        const kept: Array<{ offset: number; bytes: Buffer }> = [];
        let last: Buffer | undefined;
        steps.forEach((step, i) => {
          const bytes = step.repeat && last ? last : Buffer.alloc(step.size, String(i));
          const offset = arena.store(bytes, (clash) => {
            while (kept.length > 0 && clash(kept[0]!.offset, kept[0]!.bytes.length)) kept.shift();
          });
          expect(offset < 0).toBe(bytes.length > 300);
          kept.push({ offset, bytes });
          last = bytes;
          for (const k of kept) if (k.offset >= 0) expect(arena.view(k.offset, k.bytes.length).equals(k.bytes)).toBe(true);
        });
      }),
      {
        numRuns: 300,
        // A wrap-around that leaves older results in the skipped tail: they go first, then what the write reaches.
        examples: [[[300, 300, 110, 280, 300, 300, 105, 296].map((size) => ({ size, repeat: false }))]],
      },
    );
  });
});

describe('ReplyCache', () => {
  test('a request is running until its result, then its result is kept for the same session only', () => {
    const c = new ReplyCache(5_000);
    c.begin('m1', 7, 's1', 'addr-1');
    expect(c.running('m1', 7, 's1')).toEqual({ session: 's1', address: 'addr-1' });
    expect(c.running('m1', 7, 'other')).toBeUndefined();
    c.finish('m1', 7, Buffer.from('result'));
    expect(c.running('m1', 7)).toBeUndefined();
    expect(c.finished('m1', 7, 's1')?.toString()).toBe('result');
    expect(c.finished('m1', 7, 's2')).toBeUndefined();
    expect(c.finished('m2', 7, 's1')).toBeUndefined();
  });

  test('keeps the last 4096 results while connected, and every result of an outage', () => {
    const c = new ReplyCache(5_000);
    for (let i = 0; i < 5_000; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, Buffer.from(String(i)));
    }
    expect(c.finished('m', 0, 's')).toBeUndefined();
    expect(c.finished('m', 4_999, 's')?.toString()).toBe('4999');
    c.connection(true);
    for (let i = 5_000; i < 15_000; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, Buffer.from(String(i)));
    }
    expect(c.finished('m', 5_000, 's')?.toString()).toBe('5000');
    expect(c.finished('m', 14_999, 's')?.toString()).toBe('14999');
  });
  test('through an outage it keeps at most 100 000 results, counting the ones it could not keep', () => {
    let overflows = 0;
    const c = new ReplyCache(5_000, () => overflows++);
    c.connection(true);
    for (let i = 0; i < 100_005; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, Buffer.from('r'));
    }
    expect(c.size).toBe(100_000);
    expect(c.overflowed).toBe(5);
    expect(overflows).toBe(5);
    expect(c.finished('m', 100_004, 's')).toBeUndefined();
  });

  test('keeps at most RECENT_BYTES of results while connected (big results pin no more), the newest ones', () => {
    const c = new ReplyCache(5_000);
    const big = Buffer.alloc(64 * 1024);
    const n = RECENT_BYTES / big.length;
    for (let i = 0; i < n + 10; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, big);
    }
    expect(c.size).toBe(n);
    expect(c.finished('m', 9, 's')).toBeUndefined();
    expect(c.finished('m', 10, 's')).toEqual(big);
    expect(c.finished('m', n + 9, 's')).toEqual(big);
    // Small results fill the room the big ones leave, up to the count bound.
    for (let i = 0; i < 5_000; i++) {
      c.begin('m2', i, 's', undefined);
      c.finish('m2', i, Buffer.from('r'));
    }
    expect(c.size).toBe(4_096);
    expect(c.finished('m2', 4_999, 's')?.toString()).toBe('r');
  });

  test('results sharing one message (a secure bundle) are each charged their share, so as many are kept as alone', () => {
    const c = new ReplyCache(5_000);
    // 64 results per 64 KiB message: charged in full each, only 128 of them would fit RECENT_BYTES.
    const shared = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 4_096; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, shared, shared.length / 64);
    }
    expect(c.size).toBe(4_096);
    expect(c.finished('m', 0, 's')).toEqual(shared);
    // The room they are charged is given back when they go: full-size results still fit afterwards.
    const big = Buffer.alloc(RECENT_BYTES / 2);
    for (let i = 0; i < 2; i++) {
      c.begin('m2', i, 's', undefined);
      c.finish('m2', i, big);
    }
    expect(c.finished('m2', 0, 's')).toBe(big);
    expect(c.finished('m2', 1, 's')).toBe(big);
  });

  test('kept results come back byte for byte through the arena\'s wrap-arounds, shared messages and results too large for it; the newest always', () => {
    // Results are copied into one fixed buffer (result-arena.ts) that later ones overwrite: whatever the cache still reports must be intact.
    const size = fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 5_000 }), weight: 8 },
      { arbitrary: fc.integer({ min: 100_000, max: 600_000 }), weight: 3 },
      { arbitrary: fc.integer({ min: RECENT_BYTES / 8 + 1, max: Math.floor(RECENT_BYTES / 6) }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(fc.record({ size, share: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 120 }), (steps) => {
        const c = new ReplyCache(5_000);
        const sent = new Map<number, Buffer>();
        let id = 0;
        for (const step of steps) {
          const tag = Buffer.alloc(4);
          tag.writeUInt32BE(id);
          const message = Buffer.alloc(step.size, tag);
          // A message holding several results (a secure bundle) is finished once per result.
          for (let k = 0; k < step.share; k++, id++) {
            c.begin('m', id, 's', undefined);
            c.finish('m', id, message, Math.ceil(step.size / step.share));
            sent.set(id, message);
          }
          expect(c.finished('m', id - 1, 's')?.equals(message)).toBe(true);
        }
        for (const [i, message] of sent) {
          const kept = c.finished('m', i, 's');
          if (kept) expect(kept.equals(message)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  test('through an outage it keeps at most HELD_BYTES of results, counting the ones it could not keep', () => {
    let overflows = 0;
    const c = new ReplyCache(5_000, () => overflows++);
    const big = Buffer.alloc(1024 * 1024);
    c.connection(true);
    const n = HELD_BYTES / big.length;
    for (let i = 0; i < n + 3; i++) {
      c.begin('m', i, 's', undefined);
      c.finish('m', i, big);
    }
    expect(c.size).toBe(n);
    expect(overflows).toBe(3);
    expect(c.finished('m', n - 1, 's')).toBe(big);
    expect(c.finished('m', n, 's')).toBeUndefined();
  });

  test('recent results are found by mapper and id while lookups and new results interleave, whoever else used the id', () => {
    const c = new ReplyCache(5_000);
    const done = (mapper: string, id: number, text: string): void => {
      c.begin(mapper, id, 's', undefined);
      c.finish(mapper, id, Buffer.from(text));
    };
    done('m1', 1, 'm1-first');
    done('m2', 1, 'm2'); // same id, another mapper: the newest result of id 1 is not m1's
    expect(c.finished('m1', 1, 's')?.toString()).toBe('m1-first');
    expect(c.finished('m2', 1, 's')?.toString()).toBe('m2');
    // Results added after a lookup are found too, and evicted ones are not.
    for (let i = 2; i < 4_200; i++) {
      done('m1', i, `r${i}`);
      if (i % 1_000 === 0) expect(c.finished('m1', i, 's')?.toString()).toBe(`r${i}`);
    }
    expect(c.finished('m1', 1, 's')).toBeUndefined();
    expect(c.finished('m2', 1, 's')).toBeUndefined();
    expect(c.finished('m1', 4_199, 's')?.toString()).toBe('r4199');
    // Many results later, a lookup still finds exactly the last 4 096.
    for (let i = 4_200; i < 14_000; i++) done('m1', i, `r${i}`);
    expect(c.finished('m1', 13_999, 's')?.toString()).toBe('r13999');
    expect(c.finished('m1', 13_999 - 4_095, 's')?.toString()).toBe(`r${13_999 - 4_095}`);
    expect(c.finished('m1', 13_999 - 4_096, 's')).toBeUndefined();
    expect(c.size).toBe(4_096);
  });

  test('an entry settled without a result is forgotten, and an empty mapper leaves nothing behind', () => {
    const c = new ReplyCache(5_000);
    for (let i = 0; i < 1_000; i++) c.begin(`m-${i}`, i, 's', undefined);
    expect(c.size).toBe(1_000);
    for (let i = 0; i < 1_000; i++) c.end(`m-${i}`, i);
    expect(c.size).toBe(0);
    c.begin('m', 1, 's', undefined);
    c.finish('m', 1, Buffer.from('r'));
    c.end('m', 1); // settled after its result: the result stays
    expect(c.finished('m', 1, 's')?.toString()).toBe('r');
    expect(c.size).toBe(1);
  });
});

describe('AckBatcher', () => {
  const msg = (deliveryTag: number): Message => ({ fields: { deliveryTag } }) as unknown as Message;
  const fakeChannel = (acks: Array<[number, boolean]>): Channel =>
    ({ ack: (m: Message, multiple?: boolean) => acks.push([m.fields.deliveryTag, multiple ?? false]) }) as unknown as Channel;
  const tick = (): Promise<void> => new Promise((r) => process.nextTick(r));

  test('a contiguous run becomes one multiple ack; out-of-order tags are acked alone, in the same tick', async () => {
    const acks: Array<[number, boolean]> = [];
    let flushes = 0;
    const b = new AckBatcher(fakeChannel(acks), () => flushes++);
    for (const t of [1, 2, 3, 5]) b.ack(msg(t));
    await tick();
    expect(acks).toEqual([[3, true], [5, false]]);
    b.ack(msg(4));
    b.ack(msg(6));
    await tick();
    // 4 closes the gap; 5 was already acked alone, so the run ends at 6, the last one the broker still holds.
    expect(acks.slice(2)).toEqual([[6, true]]);
    expect(flushes).toBe(2);
  });

  test('a run that ends at a tag acked alone names the last settled tag', async () => {
    const acks: Array<[number, boolean]> = [];
    const b = new AckBatcher(fakeChannel(acks), () => undefined);
    b.ack(msg(2));
    await tick();
    b.ack(msg(1));
    await tick();
    expect(acks).toEqual([[2, false], [1, true]]);
  });
});

describe('AckBatcher with a delivery that never settles', () => {
  test('acks every later delivery at once, and keeps one run per unsettled delivery, not one entry per delivery', async () => {
    const acks: Array<[number, boolean]> = [];
    const ch = { ack: (m: Message, multiple?: boolean) => acks.push([m.fields.deliveryTag, multiple ?? false]) } as unknown as Channel;
    const b = new AckBatcher(ch, () => undefined);
    const tick = (): Promise<void> => new Promise((r) => process.nextTick(r));
    // Tag 1 hangs (a handler that never returns); 200 000 others settle, some with their reply, some through the batch.
    for (let t = 2; t <= 200_001; t++) {
      if (t % 3 === 0) b.ackedElsewhere(t);
      else b.ack({ fields: { deliveryTag: t } } as unknown as Message);
      if (t % 1_000 === 0) await tick();
    }
    await tick();
    expect(b.aheadRuns).toBe(1);
    expect(acks.filter(([, multiple]) => multiple)).toEqual([]);
    expect(acks.length).toBe(200_000 - Math.floor(200_001 / 3)); // each batched one acked alone, once
    // It settles at last: one multiple ack naming it, nothing re-acknowledged.
    b.ack({ fields: { deliveryTag: 1 } } as unknown as Message);
    b.ack({ fields: { deliveryTag: 200_002 } } as unknown as Message);
    await tick();
    expect(acks.slice(-1)).toEqual([[200_002, true]]);
    expect(b.aheadRuns).toBe(0);
  });

  test('TagRuns holds exactly the tags added, in any order, as few runs as they make', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 400 }), (tags) => {
      const runs = new TagRuns();
      const set = new Set<number>();
      for (const t of tags) {
        runs.add(t);
        set.add(t);
      }
      for (let t = 0; t <= 301; t++) expect(runs.has(t)).toBe(set.has(t));
      const sorted = [...set].sort((a, b) => a - b);
      expect(runs.runs).toBe(sorted.filter((t, i) => i === 0 || sorted[i - 1] !== t - 1).length);
      // Taking runs from the lowest tag walks the set in order.
      let next = sorted[0] ?? 1;
      let taken = 0;
      for (let end = runs.takeRunAt(next); end !== undefined; end = runs.takeRunAt(next)) {
        taken += end - next + 1;
        next = end + 1;
        while (next <= 301 && !set.has(next)) next++;
      }
      expect(taken).toBe(set.size);
    }));
  });
});

describe('PublishBuffer', () => {
  test('holds up to its capacity, then fails with NANITE_ERR_BUFFER_FULL; capacity 0 fails with NANITE_ERR_NOT_CONNECTED', () => {
    const b = new PublishBuffer<number>(2, 'request');
    b.push(1);
    b.push(2);
    expect(() => b.push(3)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_BUFFER_FULL' }));
    expect(b.drain()).toEqual([1, 2]);
    expect(() => new PublishBuffer<number>(0, 'request').push(1)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_NOT_CONNECTED' }));
  });
});

describe('amqp:// URL options', () => {
  test('reads Nanite options from the query and hands amqplib a URL without them', () => {
    const url = new URL('amqp://u:p@h:5673/v?prefix=shop&heartbeat=3&bufferSize=0&failFast=true&delivery=at-most-once&batchWrites=false&defaultExchange=0&frameMax=8192');
    expect(amqpOptionsFromUrl(url)).toMatchObject({ prefix: 'shop', heartbeat: 3, bufferSize: 0, failFast: true, delivery: 'at-most-once', batchWrites: false, defaultExchange: false });
    expect(brokerUrl(url.toString(), 3)).toBe('amqp://u:p@h:5673/v?frameMax=8192&heartbeat=3');
  });

  test('rejects bad values and keeps credentials out of transport.url', () => {
    expect(() => amqpOptionsFromUrl(new URL('amqp://h?heartbeat=soon'))).toThrow(NaniteError);
    expect(() => amqpOptionsFromUrl(new URL('amqp://h?delivery=sometimes'))).toThrow(NaniteError);
    expect(new AmqpTransport({ url: 'amqp://user:secret@h:5672/v' }).url).toBe('amqp://h:5672/v');
  });

  test.each<[string, object, string]>([
    ['a heartbeat that is not a number (connect() resolved and retried forever)', { heartbeat: 'x' }, 'heartbeat'],
    ['a probeInterval of 0 (a probe every millisecond)', { probeInterval: 0 }, 'probeInterval'],
    ['reconnectMax below reconnectMin', { reconnectMin: 500, reconnectMax: 100 }, 'reconnectMax'],
    ['a negative bufferSize', { bufferSize: -5 }, 'bufferSize'],
    ['an empty prefix', { prefix: '' }, 'prefix'],
    ['a number as prefix', { prefix: 42 }, 'prefix'],
    ['failFast as a string', { failFast: 'yes' }, 'failFast'],
    ['defaultExchange as a string', { defaultExchange: 'no' }, 'defaultExchange'],
  ])('%s: the constructor throws NANITE_ERR_INVALID_ARGUMENT naming it', (_what, options, option) => {
    expect(() => new AmqpTransport({ url: 'amqp://h', ...options } as AmqpTransportOptions)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } }));
  });

  test.each([
    ['delivery', { delivery: 'bogus' }],
    ['routeDelivery', { routeDelivery: { '/a/b': 'nope' } }],
    ['queueType', { queueType: 'x' }],
    ['nodeOrder', { nodeOrder: 'x' }],
  ])('an unknown %s value is refused, not read as the default', (_what, options) => {
    expect(() => new AmqpTransport({ url: 'amqp://h', ...options } as AmqpTransportOptions)).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  test('a URL flag that is neither true/1 nor false/0 is refused (failFast=yes was silently false)', () => {
    expect(() => amqpOptionsFromUrl(new URL('amqp://h?failFast=yes'))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(() => amqpOptionsFromUrl(new URL('amqp://h?defaultExchange=off'))).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
    expect(() => new AmqpTransport({ url: 'amqp://h?prefix=&x=1' })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'prefix' } }));
    expect(() => new AmqpTransport({ url: 'amqp://h?bufferSize=1.5' })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'bufferSize' } }));
  });
});

describe('AgentInbox', () => {
  const push = { v: 1, type: 'push', id: 7, route: '/metrics/record', payload: 1, replyTo: 'm', timeout: 0, hops: 0 };
  const delivery = (redelivered: boolean, type?: string): ConsumeMessage =>
    ({ content: Buffer.from(JSON.stringify(push)), fields: { deliveryTag: 1, redelivered }, properties: { type, headers: {} } }) as unknown as ConsumeMessage;
  const setup = () => {
    const packets: unknown[] = [];
    const malformed: string[] = [];
    const acked: ConsumeMessage[] = [];
    const ackedControl: ConsumeMessage[] = [];
    const inbox = new AgentInbox({
      identity: 'a',
      sink: { onPacket: (p, settle) => (packets.push(p), settle()), onMalformed: (r) => void malformed.push(r) },
      serializer: new JsonSerializer(),
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as never,
      delivery: 'ack-after-handler',
      routeDelivery: {},
      cache: new ReplyCache(5_000),
      replies: {} as never,
      ack: (_ch, m) => void acked.push(m as ConsumeMessage),
      ackControl: (_ch, m) => void ackedControl.push(m as ConsumeMessage),
      cancelled: () => undefined,
    });
    return { inbox, packets, malformed, acked, ackedControl };
  };

  test('an at-most-once push the broker redelivers is dropped and counted; a first delivery runs, acknowledged when settled', () => {
    const { inbox, packets, malformed, acked } = setup();
    inbox.receive({} as Channel, delivery(false, 'at-most-once'), false);
    expect(packets).toHaveLength(1);
    inbox.receive({} as Channel, delivery(true, 'at-most-once'), false);
    expect(packets).toHaveLength(1);
    expect(malformed).toHaveLength(1);
    expect(inbox.stats.droppedRedeliveries).toBe(1);
    expect(acked).toHaveLength(2);
    // An ack-after-handler push is run again when redelivered (it was never acknowledged, so it may not have run).
    inbox.receive({} as Channel, delivery(true), false);
    expect(packets).toHaveLength(2);
  });

  test('the control queue takes what follows a running request; a request or push there is dropped and counted (it would run outside the prefetch window)', () => {
    const { inbox, packets, malformed, acked, ackedControl } = setup();
    const message = (packet: unknown): ConsumeMessage => ({ content: Buffer.from(JSON.stringify(packet)), fields: { deliveryTag: 1, redelivered: false }, properties: { headers: {} } }) as unknown as ConsumeMessage;
    const cancel = { v: 1, type: 'cancel', id: 7, replyTo: 'm' };
    inbox.receiveControl({} as Channel, message(cancel));
    inbox.receiveControl({} as Channel, message(push));
    inbox.receiveControl({} as Channel, message({ ...push, type: 'request' }));
    inbox.receiveControl({} as Channel, { ...message(cancel), content: Buffer.from('{nope') });
    expect(packets).toEqual([cancel]);
    expect(malformed).toHaveLength(3);
    expect(ackedControl).toHaveLength(4); // every one acknowledged as a control delivery
    expect(acked).toHaveLength(0);
  });
});

describe('MapperPublisher', () => {
  test('a park still under way when the link closes opens no confirm channel after the close (every one opened is closed)', async () => {
    const opened: Array<{ closed: boolean }> = [];
    const model = {
      createConfirmChannel: async () => {
        const ch = {
          closed: false,
          on: () => undefined,
          assertQueue: async () => ({}),
          bindQueue: async () => ({}),
          publish: (_e: string, _k: string, _b: Buffer, _p: unknown, cb: (err: unknown) => void) => cb(null),
          close: async () => {
            ch.closed = true;
          },
        };
        opened.push(ch);
        return ch;
      },
    };
    const warnings: string[] = [];
    const publisher = new MapperPublisher({
      id: 'm',
      session: 's',
      connection: { current: model } as unknown as AmqpConnection,
      names: amqpNames('unit'),
      serializer: new JsonSerializer(),
      logger: { debug() {}, info() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''), error() {} },
      tagger: new PushTagger(),
      writer: () => { throw new Error('not used'); },
      queueOf: () => undefined,
      expired: () => undefined,
      unconfirmed: () => undefined,
      returned: () => undefined,
    });
    publisher.park({ v: 1, type: 'request', id: 1, route: '/r/x', payload: null, replyTo: 'm', timeout: 1_000, hops: 0 }, 1_000);
    await publisher.close();
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(opened.length).toBe(1);
    expect(opened.every((ch) => ch.closed)).toBe(true);
    expect(warnings).toEqual(['could not park the request']);
  });
});
