/**
 * amqp://: what a peer on the broker can forge at no cost (a bounced-request header, a Register,
 * a spray of result ids) never takes a live agent or a pending request down.
 */
import { connect, type ChannelModel, type Channel } from 'amqplib';
import { Agent, AmqpTransport, Mapper, defineActor, type Packet } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const prefixes: string[] = [];
afterAll(() => removeTopology(prefixes));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let prefix: string;
let closers: Array<() => Promise<void>>;
let conn: ChannelModel;
let ch: Channel;
let release: () => void;

beforeEach(async () => {
  prefix = uniquePrefix('forgery');
  prefixes.push(prefix);
  closers = [];
  release = () => undefined;
  conn = await connect(AMQP_URL);
  ch = await conn.createChannel();
});

afterEach(async () => {
  release();
  for (const c of closers.reverse()) await c();
  await conn.close();
});

const actor = () => defineActor('svc', {
  who: (_p: unknown, ctx) => ctx.agent,
  gated: async (_p: unknown, ctx) => {
    await new Promise<void>((resolve) => (release = resolve));
    return ctx.agent;
  },
});

function transport(): AmqpTransport {
  const t = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
  closers.push(() => t.close());
  return t;
}

async function cluster(): Promise<Mapper> {
  const a = new Agent({ transport: transport(), identity: 'a', actors: [actor()], pingInterval: 500, logger: quiet });
  await a.start();
  closers.push(() => a.stop());
  const m = new Mapper({ transport: transport(), timeout: 5_000, logger: quiet });
  await m.start();
  closers.push(() => m.close());
  await m.waitForAgents({ route: '/svc/who', timeout: 5_000 });
  return m;
}

function forge(exchange: 'reply' | 'heartbeat', key: string, packet: Packet, headers: Record<string, string> = {}): void {
  ch.publish(`${prefix}.${exchange}`, key, Buffer.from(JSON.stringify(packet)), { headers, contentType: 'application/json' });
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(10);
}

test('a forged x-nanite-bounced return is dropped and counted; the live agent keeps serving', async () => {
  const m = await cluster();
  const request = { v: 1, type: 'request', id: 1, route: '/svc/who', payload: null, replyTo: m.identity, timeout: 0, hops: 0 } as const;
  forge('reply', m.identity, request, { 'x-nanite-bounced': 'a' });
  forge('reply', m.identity, { ...request, type: 'push', id: 2 }, { 'x-nanite-bounced': 'a' });
  // The amqp:// link rejects them first (counted as malformed); the mapper would too (strayReturns).
  const dropped = (): number => m.stats.malformed + m.stats.strayReturns;
  await until(() => dropped() >= 2);
  expect(dropped()).toBe(2);
  for (let i = 0; i < 20; i++) await expect(m.request('/svc/who')).resolves.toBe('a');
});

test('a forged Register with no routes is undone within one ping interval', async () => {
  const m = await cluster();
  forge('heartbeat', '', { v: 1, type: 'register', identity: 'a', routes: [], tags: [], status: 0, concurrency: 1, pingInterval: 500 });
  await until(() => m.agents()[0]?.routes.length === 0, 1_000);
  const started = Date.now();
  let answer: unknown;
  while (Date.now() - started < 2_000) {
    answer = await m.request('/svc/who').catch((e: unknown) => e);
    if (answer === 'a') break;
    await sleep(20);
  }
  expect(answer).toBe('a');
  expect(Date.now() - started).toBeLessThan(1_200); // one ping interval (500 ms) plus the Advertise round trip
});

test('a blind spray of result ids does not answer a pending request', async () => {
  const m = await cluster();
  const pending = m.request('/svc/gated', null, { timeout: 10_000 });
  await sleep(100);
  for (let id = 0; id <= 2_000; id++) forge('reply', m.identity, { v: 1, type: 'result', id, from: 'a', ok: true, result: 'forged' });
  await sleep(300);
  expect(m.stats.pending).toBe(1);
  release();
  await expect(pending).resolves.toBe('a');
});
