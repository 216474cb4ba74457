/**
 * amqp:// requests carry their deadline to the broker (`SendOptions.ttl` → per-message
 * `expiration`): work queued behind a slow agent is dropped by the broker once its caller gave up,
 * instead of running long after.
 */
import { Agent, AmqpTransport, defineActor, type MapperLink, type RequestPacket } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('amqp:// per-message expiration', () => {
  const prefixes: string[] = [];
  let closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
    closers = [];
  });
  afterAll(() => removeTopology(prefixes));

  const transport = (prefix: string): AmqpTransport => {
    const t = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => t.close());
    return t;
  };

  const mapperLink = async (t: AmqpTransport, id: string, results: unknown[]): Promise<MapperLink> => {
    await t.connect();
    return t.openMapper(id, { onPacket: (p) => results.push(p), onMalformed: () => undefined, onUndeliverable: () => undefined });
  };

  test('2,000 requests queued behind a slow agent are not run after their callers gave up', async () => {
    const prefix = uniquePrefix('expire');
    prefixes.push(prefix);
    const starts: number[] = [];
    const slow = defineActor('slow', {
      work: async () => {
        starts.push(Date.now());
        await sleep(10);
        return 'done';
      },
    });
    const agent = new Agent({ transport: transport(prefix), identity: 'slow-agent', actors: [slow], concurrency: 1, pingInterval: 500 });
    await agent.start();
    closers.push(() => agent.stop());
    const results: unknown[] = [];
    const link = await mapperLink(transport(prefix), 'm-expire', results);

    const ttl = 300;
    const t0 = Date.now();
    for (let id = 1; id <= 2_000; id++) {
      const packet: RequestPacket = { v: 1, type: 'request', id, route: '/slow/work', payload: null, replyTo: 'm-expire', timeout: ttl, hops: 0 };
      link.send('slow-agent', packet, { ttl });
    }
    const sent = Date.now() - t0;
    // Without expiration the agent would run all 2,000, one every ~10 ms, for ~20 s.
    await sleep(sent + ttl + 1_500);
    const late = starts.filter((t) => t > t0 + sent + ttl + 300);
    expect(late).toEqual([]);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.length).toBeLessThan(200);
    // Nothing is left to run: the count no longer moves.
    const ran = starts.length;
    await sleep(300);
    expect(starts.length).toBe(ran);
    expect(results.filter((r) => (r as { type?: unknown }).type === 'result')).toHaveLength(ran);
  });

  test('a push with a ttl expires at the broker too; without one it waits for the agent', async () => {
    const prefix = uniquePrefix('expire-push');
    prefixes.push(prefix);
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const actor = defineActor('log', {
      block: async () => {
        await gate;
      },
      record: (p: unknown) => {
        seen.push(String(p));
      },
    });
    const agent = new Agent({ transport: transport(prefix), identity: 'push-agent', actors: [actor], concurrency: 1, pingInterval: 500 });
    await agent.start();
    closers.push(() => agent.stop());
    const link = await mapperLink(transport(prefix), 'm-push', []);
    const push = (id: number, route: string, payload: string): RequestPacket => ({ v: 1, type: 'push', id, route, payload, replyTo: 'm-push', timeout: 0, hops: 0 });
    // The agent is busy: its one slot holds `block`, the prefetch window one more message.
    link.send('push-agent', push(1, '/log/block', ''));
    link.send('push-agent', push(2, '/log/record', 'filler'));
    await sleep(200);
    link.send('push-agent', push(3, '/log/record', 'short-lived'), { ttl: 100 });
    link.send('push-agent', push(4, '/log/record', 'kept'));
    await sleep(400);
    release();
    await sleep(300);
    expect(seen).toEqual(['filler', 'kept']);
  });
});
