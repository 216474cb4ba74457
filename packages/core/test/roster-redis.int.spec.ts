/** The roster kept in a real Redis (127.0.0.1:6379), for mappers without a disk of their own. */
import { Redis } from 'ioredis';
import { defineActor, type RequestContext } from '../src';
import { TestCluster, closeCluster } from './helpers';

const REDIS_URL = process.env.NANITE_REDIS_URL ?? 'redis://127.0.0.1:6379';
const echo = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });

let c: TestCluster;
let redis: Redis;
let key: string;
beforeEach(() => {
  c = new TestCluster();
  redis = new Redis(REDIS_URL);
  key = `nanite-test:roster:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2)}`;
});
afterEach(async () => {
  await closeCluster(c);
  await redis.del(key, `${key}:corrupt`);
  await redis.quit();
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("roster: { store: 'redis://...' } keeps the roster across a restart", async () => {
  const store = `${REDIS_URL}?key=${encodeURIComponent(key)}`;
  const ta = c.transport();
  await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
  await c.agent({ identity: 'b', actors: [echo()] }).start();
  const first = await c.startedMapper({ roster: { store, saveDelay: 10 } });
  first.forget('b');
  await until(async () => ((await redis.get(key)) ?? '').includes('"removed"'), 'the roster to reach Redis');
  await first.close();
  ta.partition();
  const second = c.mapper({ roster: { store, saveDelay: 10 } });
  await second.start();
  expect(second.roster().map((x) => [x.identity, x.state])).toEqual([['a', 'unknown-since-restart'], ['b', 'removed']]);
  ta.heal();
  await until(() => second.roster().find((x) => x.identity === 'a')?.state === 'up', 'a to be heard again');
});

test('a corrupt roster in Redis is reported, kept aside and rebuilt', async () => {
  await redis.set(key, '{"v":1,"entries":[{"identity":');
  await c.agent({ identity: 'a', actors: [echo()] }).start();
  const m = c.mapper({ roster: { store: `${REDIS_URL}?key=${encodeURIComponent(key)}`, saveDelay: 10 } });
  await m.start();
  expect(c.logger.warnings()).toContain('the stored roster could not be read; it was set aside and is rebuilt from heartbeats and gossip');
  expect(await redis.get(`${key}:corrupt`)).toBe('{"v":1,"entries":[{"identity":');
  await until(async () => ((await redis.get(key)) ?? '').includes('"identity":"a"'), 'a fresh roster in Redis');
});
