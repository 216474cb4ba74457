/**
 * Issue #10, acceptance on amqp://: raw amqplib publishes into a live topology (random bytes, random
 * JSON, mutated packets, forged message properties and headers, sniffed copies of requests in
 * flight) reach the agent's and the mapper's receive paths, while an honest agent and mapper keep
 * exchanging requests. Properties: no throw escapes, nothing grows without bound, honest traffic
 * keeps succeeding with correct results. The memory:// twin is fuzz-receive.spec.ts.
 */
import amqp, { type Channel, type ChannelModel, type Options } from 'amqplib';
import fc from 'fast-check';
import { Agent, AmqpTransport, Mapper, NaniteError, amqpNames, defaultStatus, defineActor, type AmqpNames, type RequestContext, type StatusInfo } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { HONEST_BASE, ask as askHonest, eventually, watchEscapes, type Outcome } from './fuzz-harness';
import { double, idOf, junk, materialize, mutationPlan, weirdValues, type Forgery, type FuzzScene, type MutationPlan } from './fuzz-packets';

const ROUTE = '/fuzz/double';
const PING = 200;
const REAP = 50;
/** Impersonating the honest agent may take it out of dispatch until its next ping, no longer. */
const IMPERSONATION_WINDOW = REAP + 2 * PING + 100;
const IMPERSONATION_CODES = ['NANITE_ERR_NO_AGENT', 'NANITE_ERR_AGENT_LOST'];
const WIRE_VALUES = weirdValues(true);

/** A request the intruder saw on its way to the honest agent. */
interface Sniffed {
  id: number;
  content: Buffer;
  properties: Options.Publish;
}

interface Scene extends FuzzScene {
  names: AmqpNames;
  honestAgent: Agent;
  honestMapper: Mapper;
  /** The intruder's raw channel on the broker. */
  ch: Channel;
  /** A queue of the intruder's: where redirected results would land. */
  trap: string;
  /** Honest results that landed in the trap. */
  trapped(): number;
  sniffed(): Sniffed[];
  maxQueued(): number;
  release(): void;
  close(): Promise<void>;
}

const prefixes: string[] = [];
afterAll(() => removeTopology(prefixes));

async function openScene(options: { concurrency?: number; gated?: boolean } = {}): Promise<Scene> {
  const prefix = uniquePrefix('fuzz');
  prefixes.push(prefix);
  const names = amqpNames(prefix);
  const live = new Set<number>();
  let maxQueued = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const honestAgent = new Agent({
    transport: new AmqpTransport({ url: AMQP_URL, prefix }),
    identity: 'honest-agent',
    pingInterval: PING,
    concurrency: options.concurrency ?? 8,
    status: (i: StatusInfo) => { maxQueued = Math.max(maxQueued, i.queued); return defaultStatus(i); },
    actors: [defineActor('fuzz', {
      double: {
        idempotent: true,
        handler: async (p: unknown, ctx: RequestContext) => {
          const id = idOf(ctx.requestId);
          live.add(id);
          try {
            if (options.gated) await gate;
            else await new Promise((r) => setTimeout(r, 5 + (id % 10)));
            return double(p);
          } finally {
            live.delete(id);
          }
        },
      },
    })],
  });
  await honestAgent.start();
  const mapperTransport = new AmqpTransport({ url: AMQP_URL, prefix });
  const honestMapper = new Mapper({ transport: mapperTransport, identity: 'honest-mapper', timeout: 3_000, reapInterval: REAP, discoveryWindow: 0 });
  await honestMapper.start();
  await honestMapper.waitForAgents({ route: ROUTE, timeout: 5_000 });

  const conn: ChannelModel = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined); // a publish the broker refuses closes only the intruder's channel (and fails the next publish)
  const { queue: trap } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  let trapped = 0;
  // A forged request's result may go where its forger said; an honest result must never land here.
  await ch.consume(trap, (m) => {
    try {
      const n = (JSON.parse(m?.content.toString() ?? '') as { result?: { n?: unknown } }).result?.n;
      if (typeof n === 'number' && n >= 2 * HONEST_BASE) trapped++;
    } catch {
      // not a result at all
    }
  }, { noAck: true });
  // A sniffer: copies of what is routed to the honest agent, as any peer on the broker could bind.
  const { queue: sniff } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(sniff, names.agent, honestAgent.identity);
  const seen: Sniffed[] = [];
  await ch.consume(sniff, (m) => {
    if (!m || m.properties.correlationId === undefined) return; // only what a mapper link sent (forgeries are sniffed too)
    let id: unknown;
    try {
      id = (JSON.parse(m.content.toString()) as { id?: unknown }).id;
    } catch {
      return;
    }
    if (typeof id === 'number') seen.push({ id, content: m.content, properties: { ...m.properties, headers: { ...m.properties.headers } } as Options.Publish });
    if (seen.length > 200) seen.shift();
  }, { noAck: true });
  return {
    names, honestAgent, honestMapper, ch, trap,
    agent: honestAgent.identity, mapper: honestMapper.identity, route: ROUTE,
    inFlight: () => [...live],
    trapped: () => trapped,
    sniffed: () => seen,
    maxQueued: () => maxQueued,
    release: () => open(),
    close: async () => {
      open();
      await conn.close();
      await honestMapper.close();
      await honestAgent.stop();
    },
  };
}

/** Message properties a hostile publisher may set. */
const PROPS: ReadonlyArray<(s: Scene) => Options.Publish> = [
  () => ({}),
  () => ({ type: 'at-most-once' }),
  (s) => ({ replyTo: s.trap, correlationId: 'forged-session' }),
  (s) => ({ replyTo: s.trap, headers: { 'x-nanite-resent': true } }),
  () => ({ headers: { 'x-nanite-bounced': 42 } }),
  () => ({ headers: { 'x-nanite-bounced': 'forged-agent' } }),
  (s) => ({ headers: { 'x-nanite-bounced': s.agent } }),
  () => ({ contentType: 'text/plain', expiration: '1' }),
];

/** Publishes a forgery the way a peer holding the broker credentials could. */
function publish(s: Scene, f: Forgery, propsPick: number): boolean {
  const content = f.bytes ?? Buffer.from(JSON.stringify(f.packet) ?? 'null');
  const props = PROPS[propsPick % PROPS.length]!(s);
  const type = typeof f.packet === 'object' && f.packet !== null ? (f.packet as { type?: unknown }).type : undefined;
  if (f.to === 'agent') s.ch.publish(s.names.agent, s.agent, content, props);
  else if (type === 'register' || type === 'ping' || type === 'unregister' || propsPick % 2 === 0) s.ch.publish(s.names.heartbeat, '', content, props);
  else s.ch.publish(s.names.reply, s.mapper, content, props);
  // A message to the mapper flagged as bounced in the honest agent's name speaks for it, like a forged heartbeat.
  return f.to === 'mapper' && props.headers?.['x-nanite-bounced'] === s.agent;
}

type Item = { junk: Forgery; props: number } | { plan: MutationPlan; props: number } | { copyOf: number; field: number; value: number; props: number };

const itemArb: fc.Arbitrary<Item> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ junk: junk(), props: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ plan: mutationPlan(WIRE_VALUES.length), props: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ copyOf: fc.nat(), field: fc.nat(), value: fc.nat(), props: fc.nat() }) },
);

/** An invalid copy of a sniffed request in flight: same id, session and address, one validated field broken. */
function invalidCopy(s: Scene, item: { copyOf: number; field: number; value: number }): { content: Buffer; properties: Options.Publish } | undefined {
  const seen = s.sniffed().filter((x) => s.inFlight().includes(x.id));
  const original = seen[item.copyOf % Math.max(1, seen.length)];
  if (!original) return undefined;
  const packet = JSON.parse(original.content.toString()) as Record<string, unknown>;
  const field = ['v', 'type', 'route', 'replyTo', 'timeout', 'hops', 'traceId'][item.field % 7]!;
  packet[field] = [-1, '', null, 'x', 1.5, [], {}][item.value % 7];
  return { content: Buffer.from(JSON.stringify(packet)), properties: { ...original.properties, replyTo: s.trap, headers: { ...original.properties.headers, 'x-nanite-resent': true } } };
}

let scene: Scene;
let escapes: ReturnType<typeof watchEscapes>;
let lastImpersonation = -Infinity;

function ask(s: Scene): Promise<Outcome> {
  return askHonest(s.honestMapper, ROUTE);
}

function expectHonest(outcomes: readonly Outcome[]): void {
  for (const o of outcomes) {
    if (o.ok) expect(o.result).toEqual({ n: o.n * 2 });
    else {
      expect(o.error).toBeInstanceOf(NaniteError);
      const code = (o.error as NaniteError).code;
      const sinceImpersonation = o.at - lastImpersonation;
      const excused = IMPERSONATION_CODES.includes(code) && sinceImpersonation <= IMPERSONATION_WINDOW;
      expect(excused ? 'excused' : `${code} (${(o.error as Error).message}) ${sinceImpersonation} ms after the last impersonation`).toBe('excused');
    }
  }
}

describe('receive paths under fuzz (amqp://)', () => {
  beforeEach(async () => {
    escapes = watchEscapes();
    scene = await openScene();
  });
  afterEach(async () => {
    await scene.close();
    escapes.stop();
  });

  test('random bytes, JSON, mutated packets, forged properties and invalid copies of requests in flight never escape, never stick, and honest requests keep their results', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 4 }), async (items, honestCount) => {
        const honest: Array<Promise<Outcome>> = [];
        let impersonated = false;
        for (let i = 0; i < honestCount; i++) honest.push(ask(scene));
        await eventually(() => scene.inFlight().length > 0, 200); // honest ids in flight, and sniffed
        for (const [i, item] of items.entries()) {
          let speaksForAgent = false;
          if ('copyOf' in item) {
            const copy = invalidCopy(scene, item);
            if (copy) scene.ch.publish(scene.names.agent, scene.agent, copy.content, copy.properties);
          } else {
            const f = 'junk' in item ? item.junk : materialize(item.plan, scene, WIRE_VALUES);
            speaksForAgent = publish(scene, f, item.props) || f.impersonates;
          }
          if (speaksForAgent) lastImpersonation = Date.now();
          impersonated ||= speaksForAgent;
          if (i % 4 === 3) {
            await new Promise((r) => setTimeout(r, 2));
            honest.push(ask(scene));
          }
        }
        expectHonest(await Promise.all(honest));
        expect(await eventually(() => scene.honestMapper.stats.pending === 0 && scene.honestAgent.inFlight === 0, 3_000)).toBe(true);
        if (impersonated) {
          await new Promise((r) => setTimeout(r, IMPERSONATION_WINDOW));
          const after = await ask(scene);
          expect(after).toEqual({ ok: true, n: after.n, result: { n: after.n * 2 } });
        }
        expect(scene.trapped()).toBe(0);
        expect(escapes.seen).toEqual([]);
      }),
      { numRuns: 15 },
    );
    expect(scene.honestAgent.isRunning).toBe(true);
    expect(scene.honestMapper.isRunning).toBe(true);
    expect(scene.honestAgent.stats.malformed + scene.honestMapper.stats.malformed).toBeGreaterThan(0);
  });

  test('an invalid copy of a request in flight does not redirect its real result', async () => {
    await scene.close();
    scene = await openScene({ gated: true });
    const calls = [1, 2, 3].map(() => ask(scene));
    expect(await eventually(() => scene.inFlight().length === 3 && scene.sniffed().length >= 3, 2_000)).toBe(true);
    for (const [i] of scene.sniffed().entries()) {
      const copy = invalidCopy(scene, { copyOf: i, field: 5, value: 0 }); // hops: -1
      if (copy) scene.ch.publish(scene.names.agent, scene.agent, copy.content, copy.properties);
    }
    await new Promise((r) => setTimeout(r, 100));
    scene.release();
    expectHonest(await Promise.all(calls));
    expect((await Promise.all(calls)).every((o) => o.ok)).toBe(true);
    expect(scene.trapped()).toBe(0);
  });

  test('results forged with sniffed ids, from the wrong agent, never reach the caller', async () => {
    await scene.close();
    scene = await openScene({ gated: true });
    const calls = [1, 2, 3].map(() => ask(scene));
    expect(await eventually(() => scene.inFlight().length === 3, 2_000)).toBe(true);
    for (const id of scene.inFlight()) {
      const forged = { v: 1, type: 'result', id, from: 'intruder-agent', ok: true, result: { n: -1 } };
      scene.ch.publish(scene.names.reply, scene.mapper, Buffer.from(JSON.stringify(forged)), { correlationId: scene.mapper });
    }
    await new Promise((r) => setTimeout(r, 100));
    scene.release();
    const outcomes = await Promise.all(calls);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expectHonest(outcomes);
  });

  test('one reply-route message bounced in a live agent\'s name is undone by its next ping', async () => {
    const fake = { v: 1, type: 'request', id: 7, route: ROUTE, payload: { n: 1 }, replyTo: scene.mapper, timeout: 0, hops: 0 };
    scene.ch.publish(scene.names.reply, scene.mapper, Buffer.from(JSON.stringify(fake)), { headers: { 'x-nanite-bounced': scene.agent } });
    await new Promise((r) => setTimeout(r, IMPERSONATION_WINDOW));
    const outcomes = await Promise.all([ask(scene), ask(scene), ask(scene)]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : (o.error as NaniteError).code))).toEqual(['ok', 'ok', 'ok']);
    expectHonest(outcomes);
  });

  test('5k forged pushes flagged at-most-once do not bypass prefetch: the waiting queue stays bounded and drains', async () => {
    await scene.close();
    scene = await openScene({ gated: true, concurrency: 4 });
    for (let id = 0; id < 5_000; id++) {
      const push = { v: 1, type: 'push', id, route: ROUTE, payload: { n: id }, replyTo: 'intruder', timeout: 0, hops: 0 };
      if (!scene.ch.publish(scene.names.agent, scene.agent, Buffer.from(JSON.stringify(push)), { type: 'at-most-once' })) {
        await new Promise((r) => scene.ch.once('drain', r));
      }
    }
    await new Promise((r) => setTimeout(r, 3 * PING)); // a few pings: the status function sees the queue
    expect(scene.maxQueued()).toBeLessThanOrEqual(1_000);
    scene.release();
    const after = await ask(scene);
    expectHonest([after]);
    expect(after.ok).toBe(true);
  });
});
