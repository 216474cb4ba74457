/**
 * Direct mode over memory:// as the control plane: agents listen on SP endpoints, a mapper with
 * `direct: true` sends them requests over SP (the control plane sees none), with progress,
 * cancellation, timeouts, errors and nested calls as over the broker; plain SP REQ and SURVEYOR
 * peers call routes with JSON bodies.
 */
import { Agent, Mapper, MemoryBusRegistry, MemoryTransport, NaniteError, SpMuxSocket, SpReqSocket, SpSurveyorSocket, decodePacket, defineActor, type AgentLink, type AgentLinkOptions, type AgentSink, type Transport } from '../src';
import { JsonSerializer } from '../src/serializer/json.serializer';
import { DirectMapperLink } from '../src/transport/direct/direct-mapper.link';
import { ObservedTransport } from './observed-transport';
import { RecordingLogger } from './helpers';
import { freePort } from './sp-tools';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Ids of the /simple/slow requests the agents ran (as a peer that saw them on the wire would know them). */
const slowIds: number[] = [];

function actor(name = 'x') {
  return defineActor('simple', {
    echo: { idempotent: true, handler: (payload: unknown) => payload },
    who: { idempotent: true, handler: (_p: unknown, ctx) => ctx.agent },
    steps: async (n: number, ctx) => {
      for (let i = 0; i < n; i++) ctx.progress('step', i);
      return `${name}:done`;
    },
    fail: () => {
      throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'no good' });
    },
    wait: (_p: unknown, ctx) => new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted'))),
    slow: async (ms: number, ctx) => {
      slowIds.push(Number(ctx.requestId.slice(ctx.requestId.lastIndexOf('#') + 1)));
      ctx.progress('started', true);
      await new Promise((r) => setTimeout(r, ms));
      return `${name}:slow`;
    },
    nested: async (p: unknown, ctx) => ({ inner: await ctx.request('/simple/echo', p) }),
  });
}

async function cluster(agentCount = 1) {
  const registry = new MemoryBusRegistry();
  const transport = (): MemoryTransport => new MemoryTransport({ name: 'direct', registry });
  const agents: Agent[] = [];
  for (let i = 0; i < agentCount; i++) {
    const a = new Agent({ transport: transport(), identity: `a${i}`, listen: 'tcp://127.0.0.1:0', actors: [actor(`a${i}`)], logger, pingInterval: 200 });
    agents.push(a);
    closers.push(() => a.close());
    await a.start();
  }
  const observed = new ObservedTransport(transport());
  const mapper = new Mapper({ transport: observed, direct: true, logger, discoveryWindow: 0, timeout: 10_000 });
  closers.push(async () => {
    await mapper.close();
    await observed.close();
  });
  await mapper.start();
  await mapper.waitForAgents({ route: '/simple/echo', count: agentCount, timeout: 5_000 });
  return { agents, mapper, observed, transport };
}

/** Waits until the mapper's first direct request goes out over SP (the pipe is dialed when the Register arrives). */
async function warm(mapper: Mapper, observed: ObservedTransport): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const before = observed.requests().length;
    await mapper.request('/simple/echo', 'warm');
    if (observed.requests().length === before) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('direct path never came up');
}

describe('direct mode (memory:// control plane)', () => {
  it('an agent advertises its bound endpoint and the mapper calls it over SP, not the control plane', async () => {
    const { agents, mapper, observed } = await cluster();
    expect(agents[0]!.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    await warm(mapper, observed);
    const before = observed.requests().length;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => mapper.request('/simple/echo', { i })));
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => ({ i })));
    expect(observed.requests().length).toBe(before);
  });

  it('progress, errors, timeouts, cancellation and nested calls behave as over the broker', async () => {
    const { agents, mapper, observed } = await cluster();
    await warm(mapper, observed);
    const steps: unknown[] = [];
    await expect(mapper.request('/simple/steps', 4, { onProgress: (_k, v) => steps.push(v) })).resolves.toBe('a0:done');
    expect(steps).toEqual([0, 1, 2, 3]);
    await expect(mapper.request('/simple/fail')).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'no good' });
    await expect(mapper.request('/simple/nope')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    await expect(mapper.request('/simple/wait', null, { timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    const ac = new AbortController();
    const pending = mapper.request('/simple/wait', null, { signal: ac.signal });
    while (agents[0]!.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    while (agents[0]!.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    await expect(mapper.request('/simple/nested', 'deep')).resolves.toEqual({ inner: 'deep' });
    expect(observed.requests().filter((r) => r.packet.type === 'request').length).toBeLessThan(200);
  });

  it('an agent that closes hands its in-flight work back: idempotent requests move to the other agent', async () => {
    const { agents, mapper, observed } = await cluster(2);
    await warm(mapper, observed);
    const answers = await Promise.all(Array.from({ length: 50 }, () => mapper.call<string>('/simple/who')));
    expect(new Set(answers.map((a) => a.agent)).size).toBeGreaterThan(0);
    const load = Array.from({ length: 200 }, (_, i) => mapper.request('/simple/echo', i));
    await agents[0]!.close();
    expect(await Promise.all(load)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await expect(mapper.call('/simple/who')).resolves.toMatchObject({ agent: 'a1' });
  });

  it('an agent that stops as its last handlers finish: every result still reaches the mapper over SP (its UnRegister takes the control plane and overtakes them)', async () => {
    const { agents, mapper, observed } = await cluster(1);
    await warm(mapper, observed);
    slowIds.length = 0;
    // Not idempotent: a result lost on the way would fail its call (NANITE_ERR_AGENT_LOST), not run it again.
    const calls = Array.from({ length: 20 }, () => mapper.request<string>('/simple/slow', 100));
    for (let i = 0; i < 200 && slowIds.length < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(slowIds).toHaveLength(20);
    await agents[0]!.close();
    expect(await Promise.allSettled(calls)).toEqual(Array.from({ length: 20 }, () => ({ status: 'fulfilled', value: 'a0:slow' })));
    expect(observed.requests().filter((r) => r.packet.route === '/simple/slow')).toHaveLength(0); // all of them went over SP
  });

  it('falls back to the control plane when the advertised endpoint is unreachable', async () => {
    const registry = new MemoryBusRegistry();
    const dead = `tcp://127.0.0.1:${await freePort()}`;
    const agent = new Agent({ transport: new EndpointRewriter(new MemoryTransport({ name: 'fb', registry }), dead), identity: 'a0', listen: 'tcp://127.0.0.1:0', actors: [actor()], logger });
    closers.push(() => agent.close());
    await agent.start();
    const observed = new ObservedTransport(new MemoryTransport({ name: 'fb', registry }));
    const mapper = new Mapper({ transport: observed, direct: true, logger, discoveryWindow: 0 });
    closers.push(() => mapper.close());
    await mapper.start();
    await mapper.waitForAgents({ route: '/simple/echo', timeout: 5_000 });
    for (let i = 0; i < 5; i++) await expect(mapper.request('/simple/echo', i)).resolves.toBe(i);
    expect(observed.requests().length).toBe(5);
  });

  it('a plain SP REQ peer calls a route with a JSON body and gets a JSON reply; bad bodies get error replies', async () => {
    const { agents } = await cluster();
    const req = new SpReqSocket({ logger });
    closers.push(() => req.close());
    req.dial(agents[0]!.endpoint!);
    const call = async (body: string): Promise<unknown> => JSON.parse((await req.request(Buffer.from(body), { timeout: 5_000 })).toString());
    await expect(call('{"route":"/simple/echo","payload":"hi"}')).resolves.toEqual({ ok: true, result: 'hi' });
    await expect(call('{"route":"/simple/fail"}')).resolves.toEqual({ ok: false, error: { code: 'NANITE_ERR_VALIDATION', message: 'no good' } });
    await expect(call('{"route":"/simple/nope","payload":1}')).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_UNKNOWN_ROUTE' } });
    await expect(call('not json')).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_MALFORMED_PACKET' } });
    await expect(call('{"payload":1}')).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_MALFORMED_PACKET' } });
    await expect(call('{"route":"/simple/wait","timeout":50}')).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_TIMEOUT' } });
    await expect(call('{"route":"/simple/echo","payload":{"still":"alive"}}')).resolves.toEqual({ ok: true, result: { still: 'alive' } });
    expect(agents[0]!.endpointStats()).toMatchObject({ json: { malformed: 2, requests: 5, replies: 7 }, listener: { accepted: { rep: 1 } } });
  });

  it('a plain SP SURVEYOR peer surveys listening agents over ipc:// and tcp:// and collects every answer', async () => {
    const registry = new MemoryBusRegistry();
    const dir = `/tmp/nanite-direct-${process.pid}-${Date.now()}`;
    const a = new Agent({ transport: new MemoryTransport({ name: 's', registry }), identity: 'ipc-agent', listen: `ipc://${dir}.sock`, actors: [actor()], logger });
    const b = new Agent({ transport: new MemoryTransport({ name: 's', registry }), identity: 'tcp-agent', listen: 'tcp://127.0.0.1:0', actors: [actor()], logger });
    closers.push(() => a.close(), () => b.close());
    await a.start();
    await b.start();
    expect(a.endpoint).toBe(`ipc://${dir}.sock`);
    const surveyor = new SpSurveyorSocket({ logger });
    closers.push(() => surveyor.close());
    surveyor.dial(a.endpoint!);
    surveyor.dial(b.endpoint!);
    await surveyor.whenConnected(2, 5_000);
    const answers = await surveyor.survey(Buffer.from('{"route":"/simple/who"}'), { timeout: 1_000 }).collect();
    expect(answers.map((r) => JSON.parse(r.body.toString()) as unknown).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      { ok: true, result: 'ipc-agent' },
      { ok: true, result: 'tcp-agent' },
    ]);
  });
});

describe('direct mode: what comes off the wire', () => {
  it('pipes kept open after an UnRegister are bounded: a flood of forged Register/UnRegister pairs closes the oldest, counted', async () => {
    // An endpoint anyone may name in a Register: it counts the connections the mapper keeps to it.
    const endpoint = new SpMuxSocket({ logger });
    closers.push(() => endpoint.close());
    const url = (await endpoint.listen('tcp://127.0.0.1:0')).url;
    const outer = { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined };
    const link = new DirectMapperLink('m', outer, { serializer: new JsonSerializer(), maxMessageSize: 1 << 20, logger, maxRetired: 3 });
    closers.push(() => link.close());
    let ups = 0;
    endpoint.onPipe((e) => e === 'up' && ups++);
    for (let i = 0; i < 8; i++) {
      link.sink.onPacket({ v: 1, type: 'register', identity: `forged-${i}`, routes: ['/x/y'], endpoint: url, pingInterval: 1000 });
      for (let t = 0; t < 200 && ups < i + 1; t++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20)); // the mapper's side of the pipe is up too
      link.sink.onPacket({ v: 1, type: 'unregister', identity: `forged-${i}` });
    }
    expect(link.stats()).toMatchObject({ peers: 0, retiredPipes: 3, retiredEvicted: 5 });
    for (let i = 0; i < 100 && endpoint.stats().pipes > 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(endpoint.stats().pipes).toBe(3); // the others were closed
  });

  it('garbage from a MUX peer is dropped and counted, never a crash; the agent keeps serving', async () => {
    const { agents, mapper, observed } = await cluster();
    const peer = new SpMuxSocket({ logger });
    closers.push(() => peer.close());
    let pipe = -1;
    peer.onPipe((event, info) => {
      if (event === 'up') pipe = info.id;
    });
    peer.dial(agents[0]!.endpoint!);
    await peer.whenConnected(1, 5_000);
    const before = agents[0]!.stats.malformed;
    peer.send(pipe, [Buffer.from([0x09]), Buffer.from('{}')]); // unknown kind
    peer.send(pipe, [Buffer.from([0x01]), Buffer.from('{not json')]); // undecodable
    peer.send(pipe, [Buffer.from([0x01]), Buffer.from('{"v":1,"type":"request","id":-1}')]); // invalid packet
    peer.send(pipe, [Buffer.alloc(0)]); // empty
    while (agents[0]!.stats.malformed < before + 4) await new Promise((r) => setTimeout(r, 10));
    await warm(mapper, observed);
    await expect(mapper.request('/simple/echo', 'still here')).resolves.toBe('still here');
  });

  it('a peer claiming another mapper\'s identity gets none of its results or progress; each goes back on the pipe its request came on', async () => {
    const { agents, mapper, observed } = await cluster();
    await warm(mapper, observed);
    const peer = new SpMuxSocket({ logger });
    closers.push(() => peer.close());
    let pipe = -1;
    const heard: string[] = [];
    peer.onPipe((event, info) => {
      if (event === 'up') pipe = info.id;
    });
    peer.serve((_pipe, body) => void heard.push(body.toString('latin1')));
    peer.dial(agents[0]!.endpoint!);
    await peer.whenConnected(1, 5_000);
    const sentBefore = observed.requests().length;
    const progress: unknown[] = [];
    const call = mapper.request('/simple/slow', 150, { timeout: 3_000, onProgress: (k) => progress.push(k) });
    await new Promise((r) => setTimeout(r, 50));
    // While the handler runs, the peer claims the real mapper's identity (an invalid request and a push: read all the same).
    peer.send(pipe, [Buffer.from([0x01]), Buffer.from(JSON.stringify({ v: 1, type: 'request', id: 'x', replyTo: mapper.identity }))]);
    peer.send(pipe, [Buffer.from([0x01]), Buffer.from(JSON.stringify({ v: 1, type: 'push', id: 7, route: '/simple/echo', payload: 1, replyTo: mapper.identity, timeout: 0, hops: 0 }))]);
    // ...and repeats the very request id (as if it had seen it), in a request the agent drops as malformed.
    const id = slowIds.at(-1)!;
    peer.send(pipe, [Buffer.from([0x01]), Buffer.from(JSON.stringify({ v: 1, type: 'request', id, replyTo: mapper.identity }))]);
    await expect(call).resolves.toBe('a0:slow');
    expect(progress).toEqual(['started']);
    expect(observed.requests().length).toBe(sentBefore); // it went (and came back) over SP
    await new Promise((r) => setTimeout(r, 50));
    expect(heard.filter((t) => t.includes('a0:slow'))).toEqual([]);
  });

  it('a reply on an agent\'s pipe that claims another agent as its sender is dropped and counted as malformed', async () => {
    const { agents, mapper, transport } = await cluster();
    // An "agent" whose endpoint we serve ourselves: it answers every request twice, first under its
    // neighbour's identity, then under its own.
    const endpoint = new SpMuxSocket({ logger });
    closers.push(() => endpoint.close());
    const { url } = await endpoint.listen('tcp://127.0.0.1:0');
    endpoint.serve((pipe, body) => {
      const req = JSON.parse(body.subarray(1).toString()) as { type: string; id: number };
      if (req.type !== 'request') return;
      for (const from of [agents[0]!.identity, 'fake']) endpoint.send(pipe.id, [Buffer.from([0x01]), Buffer.from(JSON.stringify({ v: 1, type: 'result', id: req.id, from, ok: true, result: from }))]);
    });
    const control = transport();
    closers.push(() => control.close());
    await control.connect();
    const link = await control.openAgent('fake', { onPacket: (_p, settle) => settle(), onMalformed: () => undefined }, { prefetch: 1 });
    link.broadcast({ v: 1, type: 'register', identity: 'fake', routes: [{ route: '/fake/x', idempotent: true }], tags: [], status: 0, concurrency: 1, pingInterval: 60_000, endpoint: url });
    await mapper.waitForAgents({ route: '/fake/x', timeout: 5_000 });
    await endpoint.whenConnected(1, 5_000);
    const before = { ...mapper.stats };
    await expect(mapper.request('/fake/x', null, { timeout: 2_000 })).resolves.toBe('fake');
    expect(mapper.stats.malformed - before.malformed).toBe(1);
    expect(mapper.stats.strayReplies - before.strayReplies).toBe(0);
  });

  it('a Register endpoint must be a tcp:// or ipc:// URL of bounded length', () => {
    const reg = { v: 1, type: 'register', identity: 'a', routes: [], tags: [], status: 0, concurrency: 1, pingInterval: 1000 };
    expect(decodePacket({ ...reg, endpoint: 'tcp://127.0.0.1:5555' }).ok).toBe(true);
    expect(decodePacket({ ...reg, endpoint: 'ipc:///tmp/x.sock' }).ok).toBe(true);
    expect(decodePacket(reg).ok).toBe(true);
    for (const endpoint of ['http://x', 42, '', 'tcp://', `tcp://${'x'.repeat(2000)}:1`]) expect(decodePacket({ ...reg, endpoint }).ok).toBe(false);
  });
});

/** Makes the agent advertise a dead endpoint (as if its address were unreachable from the mapper). */
class EndpointRewriter implements Transport {
  constructor(private readonly inner: Transport, private readonly endpoint: string) {}
  get url(): string { return this.inner.url; }
  connect(): Promise<void> { return this.inner.connect(); }
  close(): Promise<void> { return this.inner.close(); }
  openMapper: Transport['openMapper'] = (id, sink) => this.inner.openMapper(id, sink);
  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    const link = await this.inner.openAgent(identity, sink, options);
    return {
      broadcast: (p) => link.broadcast(p.type === 'register' && p.endpoint ? { ...p, endpoint: this.endpoint } : p),
      reply: (m, p) => link.reply(m, p),
      pause: () => link.pause(),
      close: () => link.close(),
    };
  }
}
