/** The roster over a real RabbitMQ: three mappers gossip, a partition heals, suspicions and retirements spread. */
import { Agent, AmqpTransport, Mapper, defineActor, type RequestContext } from '../src';
import type { RosterAgent } from '../src/mapper/roster/roster.options';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { RecordingLogger } from './helpers';

const echo = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });
const logger = new RecordingLogger();

let prefix: string;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  prefix = uniquePrefix('roster');
  closers = [];
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  await removeTopology([prefix]);
});

const url = (): string => `${AMQP_URL}?prefix=${prefix}`;

async function mapper(): Promise<Mapper> {
  const m = new Mapper({ transport: url(), logger, discoveryWindow: 0, roster: { gossipInterval: 300 } });
  closers.push(() => m.close());
  await m.start();
  return m;
}

async function agent(identity: string): Promise<Agent> {
  const a = new Agent({ transport: url(), identity, logger, actors: [echo()], pingInterval: 500 });
  closers.push(() => a.stop());
  await a.start();
  return a;
}

/** Resolves once `check` holds, polling every 50 ms, or fails after `budget` ms. */
async function until(check: () => boolean, budget: number, what: string): Promise<void> {
  const end = Date.now() + budget;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const view = (m: Mapper): string => JSON.stringify(m.roster().map((a: RosterAgent) => [a.identity, a.state]).sort());
const stateIn = (m: Mapper, id: string): string | undefined => m.roster().find((a) => a.identity === id)?.state;

test('three mappers on amqp:// converge after one of them was cut off from the gossip for 10 s', async () => {
  const ms = [await mapper(), await mapper(), await mapper()];
  await agent('a');
  await agent('b');
  const c = await agent('c');
  await until(() => ms.every((m) => view(m) === JSON.stringify([['a', 'up'], ['b', 'up'], ['c', 'up']])), 20_000, 'every mapper to see a, b, c up');
  const cut = ms[2]!;
  cut.pauseGossip(true);
  // While it is cut off: another mapper retires b, and c stops (cleanly: everyone hears its UnRegister).
  ms[0]!.forget('b');
  await c.stop();
  await until(() => stateIn(ms[1]!, 'b') === 'removed', 10_000, 'the retirement to reach the second mapper');
  await new Promise((r) => setTimeout(r, 10_000));
  expect(stateIn(cut, 'b')).not.toBe('removed');
  cut.pauseGossip(false);
  await until(() => view(cut) === view(ms[0]!) && view(ms[1]!) === view(ms[0]!), 15_000, 'the rosters to converge after the partition healed');
  expect(view(ms[0]!)).toBe(JSON.stringify([['a', 'up'], ['b', 'removed'], ['c', 'down']]));
  expect(ms.every((m) => m.agents().map((x) => x.identity).join() === 'a')).toBe(true);
  expect(ms.every((m) => m.rosterStats()!.peers >= 1)).toBe(true);
}, 90_000);

test("a mapper's verdict spreads: a lenient mapper learns by gossip that an agent died, and drops it", async () => {
  const strict = await mapper();
  // This one's own detector is lenient (and its reaper waits three 3 s pings): gossip tells it first.
  // (An explicit agentTimeout would hold the agent until then whatever the verdict: docs/roster.md.)
  const lenient = new Mapper({ transport: url(), logger, discoveryWindow: 0, roster: { gossipInterval: 300, detector: { minStdRatio: 10 } } });
  closers.push(() => lenient.close());
  await lenient.start();
  const t = new AmqpTransport({ url: url() });
  const a = new Agent({ transport: t, identity: 'a', logger, actors: [echo()], pingInterval: 3_000 });
  closers.push(async () => {
    await a.stop();
    await t.close();
  });
  await a.start();
  await until(() => [strict, lenient].every((m) => stateIn(m, 'a') === 'up'), 20_000, 'a up everywhere');
  await new Promise((r) => setTimeout(r, 12_000)); // a few pings of history
  const downs: string[] = [];
  lenient.on('agent:down', (v, why) => downs.push(`${v.identity} ${why}`));
  // The agent's process "dies": its connection closes, no UnRegister.
  await t.close();
  await until(() => stateIn(lenient, 'a') === 'down', 20_000, 'the strict mapper\'s verdict to reach the lenient one');
  expect(downs).toEqual(['a timeout']);
  expect(lenient.agents()).toEqual([]);
  // The verdict it holds was written by the strict mapper (its own reaper would have written its own).
  expect(lenient.roster().find((x) => x.identity === 'a')?.by).toBe(strict.identity);
}, 90_000);

test('three mappers on amqp:// converge on an agent\'s version and endpoint, the one started after it left by gossip alone', async () => {
  const early = [await mapper(), await mapper()];
  const meta = (m: Mapper): unknown => {
    const e = m.roster().find((x) => x.identity === 'v');
    return e && { state: e.state, version: e.version, endpoint: e.endpoint };
  };
  const a = new Agent({ transport: url(), identity: 'v', version: '5.6.7', listen: 'tcp://127.0.0.1:0', logger, actors: [echo()], pingInterval: 500 });
  closers.push(() => a.stop());
  await a.start();
  const endpoint = a.endpoint!;
  expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  await until(() => early.every((m) => JSON.stringify(meta(m)) === JSON.stringify({ state: 'up', version: '5.6.7', endpoint })), 20_000, 'both mappers to show v up with its version and endpoint');
  expect(early[0]!.agents()[0]).toMatchObject({ identity: 'v', version: '5.6.7', endpoint });
  await a.stop();
  await until(() => early.every((m) => meta(m) !== undefined && (meta(m) as { state: string }).state === 'down'), 20_000, 'v down');
  // Nobody will ever Register to this one: what it shows of v came through the gossip.
  const late = await mapper();
  await until(() => JSON.stringify(meta(late)) === JSON.stringify({ state: 'down', version: '5.6.7', endpoint }), 20_000, 'the late mapper to learn v by gossip');
  expect(late.agents()).toEqual([]);
}, 90_000);

test('gossip that cannot even be decoded is dropped and counted (stats.malformedGossip), and the roster carries on', async () => {
  const m = await mapper();
  const amqp = await import('amqplib');
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    ch.publish(`${prefix}.gossip`, '', Buffer.from('{not json at all'), { contentType: 'application/json' });
    ch.publish(`${prefix}.gossip`, '', Buffer.from(JSON.stringify({ nonsense: true })), { contentType: 'application/json' });
    await ch.close();
  } finally {
    await conn.close();
  }
  await until(() => (m.rosterStats()?.malformedGossip ?? 0) >= 2, 5_000, 'both counted');
  await agent('after-garbage');
  await until(() => stateIn(m, 'after-garbage') !== undefined, 5_000, 'the roster to carry on');
});
