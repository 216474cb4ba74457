/**
 * Secure mode on amqp://, attacked by a third party holding the broker credentials: first with no
 * certificate from the CA, then with a valid certificate of another identity, with an expired one
 * and with one from an unknown CA. The attacker taps what its broker permissions let it see and
 * publishes by hand (raw amqplib). Every forgery is dropped and counted; honest traffic keeps
 * flowing with zero failures; no payload crosses the broker in plaintext.
 */
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Agent, AmqpTransport, defineActor, JsonSerializer, Mapper, SecureTransport, amqpNames, type MapperLink, type MapperSink, type SecurityOptions, type Transport } from '../src';
import { LocalCredential } from '../src/serializer/secure/credential';
import { SecureCodec } from '../src/serializer/secure/secure-codec';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { issue, makeCa, type TestCa, type TestIdentity } from './pki';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(20);
}

/** Records the outer packets a mapper receives (what an attacker tapping its reply route would capture). */
class RecordingTransport implements Transport {
  readonly received: unknown[] = [];
  constructor(private readonly inner: AmqpTransport) {}
  get url(): string { return this.inner.url; }
  connect(): Promise<void> { return this.inner.connect(); }
  close(): Promise<void> { return this.inner.close(); }
  openAgent: Transport['openAgent'] = (i, s, o) => this.inner.openAgent(i, s, o);
  openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    // The secure sink's verify-first gate is kept (it is what closes in-flight records): the outer packets are recorded as they reach it.
    const isOuter = (p: unknown): boolean => (p as { sec?: unknown }).sec instanceof Uint8Array;
    return this.inner.openMapper(id, {
      onPacket: (p) => {
        if (isOuter(p)) this.received.push(p);
        sink.onPacket(p);
      },
      accept: (p) => {
        this.received.push(p);
        return sink.accept!(p);
      },
      onMalformed: (r) => sink.onMalformed(r),
      onUndeliverable: (p, a) => sink.onUndeliverable(p, a),
      onAgentGone: (a) => sink.onAgentGone?.(a),
      onReconnect: () => sink.onReconnect?.(),
    });
  }
}

/** An attacker's own envelope code, bypassing the checks a SecureTransport makes of its own certificate. */
function attackerCodec(id: TestIdentity, ca: TestCa, name: string): SecureCodec {
  const local = new LocalCredential(new X509Certificate(id.cert), createPrivateKey(id.key), name, Date.now());
  return new SecureCodec({ local, cas: [new X509Certificate(ca.pem)], maxSkew: 600_000, maxPeers: 100 });
}

describe('secure mode on amqp:// under attack', () => {
  const prefix = uniquePrefix('secure');
  const names = amqpNames(prefix);
  let ca: TestCa;
  const closers: Array<() => Promise<void>> = [];
  let conn: ChannelModel;
  let ch: Channel;
  const tapped: Array<{ exchange: string; m: ConsumeMessage; packet: Record<string, unknown> }> = [];
  let fredT: SecureTransport;
  let fredAmqp: AmqpTransport;
  let mapperT: SecureTransport;
  let recorder: RecordingTransport;
  let mapper: Mapper;
  const served: string[] = [];

  const sec = async (name: string, extra: Partial<SecurityOptions> = {}): Promise<SecurityOptions> => ({ ...(await issue(ca, name)), ca: ca.pem, ...extra });
  // What the fabric's serializer makes of a packet: JSON, or the binary envelope of a secure outer packet (its `sec` is bytes).
  const json = new JsonSerializer();
  const publishJson = (exchange: string, key: string, packet: unknown, options: object = {}): void => {
    ch.publish(exchange, key, json.encode(packet as object), { contentType: 'application/json', ...options });
  };
  const captured = (type: string, exchange?: string) => tapped.filter((t) => t.packet.type === type && (!exchange || t.exchange === exchange));

  beforeAll(async () => {
    ca = await makeCa();
    conn = await connect(AMQP_URL);
    ch = await conn.createChannel();
    // The attacker's tap, bound before anyone starts: heartbeats, advertises, and fred's requests.
    await ch.assertExchange(names.heartbeat, 'fanout', { durable: true });
    await ch.assertExchange(names.advertise, 'fanout', { durable: true });
    await ch.assertExchange(names.agent, 'direct', { durable: true });
    await ch.assertExchange(names.reply, 'direct', { durable: true });
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, names.heartbeat, '');
    await ch.bindQueue(queue, names.advertise, '');
    await ch.bindQueue(queue, names.agent, 'fred');
    await ch.consume(queue, (m) => {
      if (m) tapped.push({ exchange: m.fields.exchange, m, packet: json.decode(m.content) as Record<string, unknown> });
    }, { noAck: true });

    const actors = (who: string) => [defineActor('echo', { hi: (p: unknown) => { served.push(who); return p; } })];
    // Transports passed in are not owned by the agent or mapper (nor by a SecureTransport around them): closed here.
    fredAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    const bobAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    // Requests through `P.agent`, where the tap sees them: a mapper that may write to the default
    // exchange sends them to fred's exclusive queue by name, beyond any tap.
    const mapperAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet, defaultExchange: false });
    fredT = new SecureTransport(fredAmqp, await sec('fred'), { logger: quiet });
    const fred = new Agent({ transport: fredT, actors: actors('fred'), pingInterval: 300, logger: quiet });
    const bob = new Agent({ transport: bobAmqp, security: await sec('bob'), actors: actors('bob'), pingInterval: 300, logger: quiet });
    recorder = new RecordingTransport(mapperAmqp);
    mapperT = new SecureTransport(recorder, await sec('web', { authorizeRegistration: (peer) => peer.identity === 'fred' || peer.identity === 'bob' }), { logger: quiet });
    mapper = new Mapper({ transport: mapperT, timeout: 10_000, logger: quiet });
    closers.push(
      async () => { await fred.stop(); await fredT.close(); await fredAmqp.close(); },
      async () => { await bob.stop(); await bobAmqp.close(); },
      async () => { await mapper.close(); await mapperT.close(); await mapperAmqp.close(); },
    );
    await fred.start();
    await bob.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/echo/hi', count: 2, timeout: 10_000 });
  });

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await conn.close();
    await removeTopology([prefix]);
  });

  /** Honest traffic running while `attack` runs: every request must succeed. */
  async function underAttack(attack: () => Promise<void>): Promise<void> {
    let stop = false;
    const failures: unknown[] = [];
    let ok = 0;
    const honest = (async () => {
      for (let i = 0; (!stop || ok < 20) && failures.length === 0; i++) {
        const r = await Promise.allSettled(Array.from({ length: 8 }, (_, j) => mapper.request('/echo/hi', { secret: `swordfish-${i}-${j}` })));
        for (const x of r) if (x.status === 'fulfilled') ok++; else failures.push(`${String(x.reason)} ${String((x.reason as { cause?: unknown }).cause)}`);
      }
    })();
    await attack();
    await sleep(300);
    stop = true;
    await honest;
    expect(failures).toEqual([]);
  }

  test('no plaintext payload crosses the broker; results come only from fred and bob', async () => {
    await underAttack(async () => {
      await until(() => captured('request').length >= 4);
    });
    const requests = captured('request');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.m.content.toString()).not.toContain('swordfish');
      expect(r.packet.payload).toBeNull();
    }
    expect(new Set(served)).toEqual(new Set(['fred', 'bob']));
  });

  test('without a certificate: forged results (id spray, tapped reply-to), Register, UnRegister, Cancel and bounced header are dropped', async () => {
    const before = mapperT.stats().droppedTotal;
    const fredBefore = fredT.stats().droppedTotal;
    const tappedReq = captured('request').at(-1)!;
    const taps = captured('request').slice(-20);
    const expected = 300 + 2 * taps.length + 3;
    await underAttack(async () => {
      for (let id = 0; id < 300; id++) publishJson(names.reply, mapper.identity, { v: 1, type: 'result', id, from: 'fred', ok: true, result: 'forged' });
      for (const r of taps) {
        publishJson('', String(r.m.properties.replyTo), { v: 1, type: 'result', id: r.packet.id, from: 'fred', ok: true, result: 'forged' });
        publishJson('', String(r.m.properties.replyTo), { v: 1, type: 'result', id: r.packet.id, from: 'fred', ok: true, sec: 'TgECAAAAAAAA' });
      }
      publishJson(names.heartbeat, '', { v: 1, type: 'register', identity: 'fred', routes: [{ route: '/echo/hi', idempotent: true }], tags: [], status: -1e300, concurrency: 10, pingInterval: 300 });
      publishJson(names.heartbeat, '', { v: 1, type: 'unregister', identity: 'fred' });
      publishJson(names.heartbeat, '', { v: 1, type: 'unregister', identity: 'bob' });
      publishJson(names.agent, 'fred', { v: 1, type: 'cancel', id: tappedReq.packet.id, replyTo: mapper.identity });
      publishJson(names.reply, mapper.identity, { v: 1, type: 'request', id: 12345, route: '/echo/hi', payload: null, replyTo: mapper.identity, timeout: 1000, hops: 0 }, { headers: { 'x-nanite-bounced': 'fred' } });
      await until(() => mapperT.stats().droppedTotal - before >= expected && fredT.stats().droppedTotal > fredBefore);
    });
    expect(mapperT.stats().droppedTotal - before).toBeGreaterThanOrEqual(expected);
    expect(mapperT.stats().dropped.undecodable).toBeGreaterThanOrEqual(expected);
    expect(fredT.stats().dropped.undecodable).toBeGreaterThanOrEqual(1);
    expect(mapper.agents().map((a) => a.identity).sort()).toEqual(['bob', 'fred']);
  });

  test('with a valid certificate of another identity: impersonation, a hostile Register, forged results and cancels are dropped', async () => {
    const eve = attackerCodec(await issue(ca, 'eve'), ca, 'eve');
    // Eve learns the mapper's and fred's keys from what she tapped (their signed Advertise and Register).
    const adv = eve.open(captured('advertise').at(-1)!.packet);
    const reg = eve.open(captured('register').filter((r) => r.packet.identity === 'fred' && r.packet.sec instanceof Uint8Array).at(-1)!.packet);
    if (typeof adv === 'string' || typeof reg === 'string') throw new Error(`could not open tapped packets: ${String(adv)} ${String(reg)}`);
    eve.peers.bind(mapper.identity, adv.peer.kid.toString('hex'));
    eve.peers.bind('fred', reg.peer.kid.toString('hex'));
    const m0 = { ...mapperT.stats().dropped };
    const f0 = { ...fredT.stats().dropped };
    const tappedReq = captured('request').at(-1)!;
    const taps = captured('request').slice(-10);
    await underAttack(async () => {
      publishJson(names.heartbeat, '', eve.sign({ v: 1, type: 'register', identity: 'fred', routes: [{ route: '/echo/hi', idempotent: true }], tags: [], status: -1e300, concurrency: 10, pingInterval: 300 }));
      publishJson(names.heartbeat, '', eve.sign({ v: 1, type: 'unregister', identity: 'fred' }));
      publishJson(names.heartbeat, '', eve.sign({ v: 1, type: 'register', identity: 'eve', routes: [{ route: '/echo/hi', idempotent: true }], tags: [], status: -1e300, concurrency: 10, pingInterval: 300 }));
      publishJson(names.heartbeat, '', eve.sign({ v: 1, type: 'ping', identity: 'eve', status: -1e300, inFlight: 0 }));
      for (const r of taps) {
        publishJson('', String(r.m.properties.replyTo), eve.seal({ v: 1, type: 'result', id: r.packet.id, from: 'fred', ok: true, result: 'forged' } as { type: string }, mapper.identity));
        publishJson(names.reply, mapper.identity, eve.seal({ v: 1, type: 'result', id: r.packet.id, from: 'fred', ok: true, result: 'forged' } as { type: string }, mapper.identity));
      }
      publishJson(names.agent, 'fred', eve.seal({ v: 1, type: 'cancel', id: tappedReq.packet.id, replyTo: mapper.identity } as { type: string }, 'fred'));
      publishJson(names.agent, 'fred', eve.seal({ v: 1, type: 'request', id: 77, route: '/echo/hi', payload: 'x', replyTo: mapper.identity, timeout: 1000, hops: 0 } as { type: string }, 'fred'));
      await until(() => mapperT.stats().dropped.impersonation - m0.impersonation >= 2 * taps.length + 2 && fredT.stats().dropped.impersonation - f0.impersonation >= 2);
    });
    const m = mapperT.stats().dropped;
    // Every forgery routed by the mapper's identity arrives and is dropped; those sent to a tapped
    // direct reply-to address arrive only while that reply channel is still the one in use (under
    // load some taps are older), so they are not all counted on. None may reach a caller (above).
    expect(m.impersonation - m0.impersonation).toBeGreaterThanOrEqual(taps.length + 2);
    expect(m['forbidden-registration'] - m0['forbidden-registration']).toBeGreaterThanOrEqual(2);
    expect(fredT.stats().dropped.impersonation - f0.impersonation).toBeGreaterThanOrEqual(2);
    expect(mapper.agents().map((a) => a.identity).sort()).toEqual(['bob', 'fred']);
    expect(served).not.toContain('eve');
  });

  test('a tampered request, a replayed request and a replayed result are dropped', async () => {
    const f0 = { ...fredT.stats().dropped };
    const m0 = { ...mapperT.stats().dropped };
    const req = captured('request').at(-1)!;
    // A result, or (under load) a bundle of results sealed together.
    const result = recorder.received.filter((p) => ['result', 'bundle'].includes((p as { type?: string }).type ?? '')).at(-1);
    expect(result).toBeDefined();
    await underAttack(async () => {
      const frame = Buffer.from(req.packet.sec as Buffer);
      frame[frame.length - 20]! ^= 0x01;
      publishJson(names.agent, 'fred', { ...req.packet, sec: frame });
      ch.publish(names.agent, 'fred', req.m.content, req.m.properties);
      publishJson(names.reply, mapper.identity, result);
      await until(() => fredT.stats().dropped.undecryptable > f0.undecryptable && fredT.stats().dropped.replay > f0.replay && mapperT.stats().dropped.replay > m0.replay);
    });
    expect(fredT.stats().dropped.undecryptable - f0.undecryptable).toBe(1);
    expect(fredT.stats().dropped.replay - f0.replay).toBe(1);
    expect(mapperT.stats().dropped.replay - m0.replay).toBe(1);
  });

  test('a re-sent request is answered from the agent\'s reply cache (sealed, as first sent), not run again', async () => {
    // Nothing else runs: what fred serves from here on is counted exactly.
    const fredRuns = (): number => served.filter((w) => w === 'fred').length;
    const before = captured('request').length;
    await mapper.request('/echo/hi', { secret: 'resend' }, { target: 'fred' });
    // The tap's copy of fred's request may reach it after the result reached the mapper.
    await until(() => captured('request').length > before);
    const req = captured('request').at(-1);
    expect(req).toBeDefined();
    // The result left while the request was still known to fred's transport: kept for a re-send.
    expect(fredAmqp.stats().replyCacheEntries).toBeGreaterThan(0);
    const runs = fredRuns();
    const m0 = { ...mapperT.stats().dropped };
    // What a mapper that reconnected does: the same request again, marked as re-sent, same session.
    ch.publish(names.agent, 'fred', req!.m.content, { ...req!.m.properties, headers: { ...req!.m.properties.headers, 'x-nanite-resent': true } });
    // The cached sealed result comes back to the mapper, which has it already: a replay, dropped.
    await until(() => mapperT.stats().dropped.replay > m0.replay);
    expect(mapperT.stats().dropped.replay - m0.replay).toBe(1);
    expect(fredRuns()).toBe(runs);
  });

  test('results finished in one turn travel as one sealed bundle, each caller gets its own; a replayed bundle is dropped whole', async () => {
    const from = recorder.received.length;
    const m0 = { ...mapperT.stats().dropped };
    const n = 128;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => mapper.request('/echo/hi', { secret: `swordfish-${i}` })));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => ({ secret: `swordfish-${i}` })));
    const arrived = recorder.received.slice(from);
    const bundles = arrived.filter((p) => (p as { type?: string }).type === 'bundle');
    // Fewer messages than results: the agents sealed what finished together once.
    expect(bundles.length).toBeGreaterThan(0);
    expect(arrived.filter((p) => ['result', 'bundle'].includes((p as { type?: string }).type ?? '')).length).toBeLessThan(n);
    expect(mapperT.stats().droppedTotal).toBe(Object.values(m0).reduce((a, b) => a + b, 0));
    await underAttack(async () => {
      publishJson(names.reply, mapper.identity, bundles.at(-1));
      await until(() => mapperT.stats().dropped.replay > m0.replay);
    });
    expect(mapperT.stats().dropped.replay - m0.replay).toBe(1);
  });

  test('expired and unknown-CA certificates are refused', async () => {
    const m0 = { ...mapperT.stats().dropped };
    const old = attackerCodec(await issue(ca, 'fred', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }), ca, 'fred');
    const rogueCa = await makeCa('Rogue CA');
    const rogue = attackerCodec(await issue(rogueCa, 'fred'), rogueCa, 'fred');
    const register = { v: 1, type: 'register', identity: 'fred', routes: [{ route: '/echo/hi', idempotent: true }], tags: [], status: -1e300, concurrency: 10, pingInterval: 300 };
    await underAttack(async () => {
      publishJson(names.heartbeat, '', old.sign(register));
      publishJson(names.heartbeat, '', rogue.sign(register));
      await until(() => mapperT.stats().dropped.expired > m0.expired && mapperT.stats().dropped['unknown-ca'] > m0['unknown-ca']);
    });
    expect(mapperT.stats().dropped.expired - m0.expired).toBe(1);
    expect(mapperT.stats().dropped['unknown-ca'] - m0['unknown-ca']).toBe(1);
  });

  test('a request its caller gave up on while it waited at the broker never starts (the sealed cancel overtakes it; concurrency 1)', async () => {
    const started: unknown[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queued = defineActor('queued', {
      job: async (payload: unknown) => {
        started.push(payload);
        if (payload === 'first') await gate;
        return payload;
      },
    });
    const soloAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    const callerAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    const solo = new Agent({ transport: soloAmqp, security: await sec('solo'), concurrency: 1, actors: [queued], pingInterval: 300, logger: quiet });
    const caller = new Mapper({ transport: callerAmqp, security: await sec('caller'), timeout: 10_000, logger: quiet });
    try {
      await solo.start();
      await caller.start();
      await caller.waitForAgents({ route: '/queued/job', timeout: 10_000 });
      const first = caller.request('/queued/job', 'first');
      await until(() => started.length === 1);
      const giveUp = new AbortController();
      const second = caller.request('/queued/job', 'second', { signal: giveUp.signal });
      await sleep(200); // at the broker, behind the prefetch window of 1
      giveUp.abort();
      await expect(second).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
      await sleep(200);
      release();
      await expect(first).resolves.toBe('first');
      await expect(caller.request('/queued/job', 'third')).resolves.toBe('third');
      expect(started).toEqual(['first', 'third']);
      expect(solo.stats.cancelledBeforeStart).toBe(1);
    } finally {
      release();
      await caller.close();
      await solo.close();
      await callerAmqp.close();
      await soloAmqp.close();
    }
  });
});
