/**
 * Streams in direct mode (memory:// as the control plane): a result stream and an upload to an
 * agent reached over SP travel over the SP connection (the control plane sees none of their
 * packets) with the same credit flow control, errors and cancellation; the agent's connection
 * closing mid-stream fails it with NANITE_ERR_AGENT_LOST at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, DirectTransport, Mapper, MemoryBusRegistry, MemoryTransport, defineActor } from '../src';
import { ObservedTransport } from './observed-transport';
import { RecordingLogger } from './helpers';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const probe = { sha: '', stoppedAt: 0 };
const streams = defineActor('bytes', {
  async *gen({ count, size }: { count: number; size: number }) {
    const hash = createHash('sha256');
    // Cheap distinct chunks (a random block, stamped with its index): randomBytes per chunk would hold
    // this one process's event loop long enough under load for the mapper to miss the agent's pings.
    const block = randomBytes(size);
    for (let i = 0; i < count; i++) {
      const b = Buffer.from(block);
      b.writeUInt32BE(i, 0);
      hash.update(b);
      yield b;
    }
    probe.sha = hash.digest('hex');
  },
  async *echo(_p: unknown, ctx) {
    for await (const chunk of ctx.input!) yield chunk;
  },
  async *forever(_p: unknown, ctx) {
    try {
      while (!ctx.signal.aborted) yield Buffer.alloc(64 * 1024, 1);
    } finally {
      probe.stoppedAt = Date.now();
    }
  },
  warm: { idempotent: true, handler: (p: unknown) => p },
});

async function cluster() {
  const registry = new MemoryBusRegistry();
  const agentTransport = new DirectTransport(new MemoryTransport({ name: 'direct-streams', registry }), { listen: 'tcp://127.0.0.1:0', ownsInner: true });
  const agent = new Agent({ transport: agentTransport, identity: 'a0', actors: [streams], logger, pingInterval: 1_000, drainTimeout: 500 });
  // drainTimeout: after its transport closed under it, the agent's stream waits for credit that cannot come; close() aborts it then.
  closers.push(async () => {
    await agent.close();
    await agentTransport.close();
  });
  await agent.start();
  const observed = new ObservedTransport(new MemoryTransport({ name: 'direct-streams', registry }));
  const mapper = new Mapper({ transport: observed, direct: true, logger, discoveryWindow: 0, timeout: 10_000 });
  closers.push(async () => {
    await mapper.close();
    await observed.close();
  });
  await mapper.start();
  await mapper.waitForAgents({ route: '/bytes/gen', timeout: 5_000 });
  // The pipe is dialed when the Register arrives: wait until a request goes over SP.
  for (let i = 0; ; i++) {
    const before = observed.packets.length;
    await mapper.request('/bytes/warm', 'warm');
    if (observed.packets.length === before) break;
    if (i === 200) throw new Error('direct path never came up');
    await new Promise((r) => setTimeout(r, 10));
  }
  return { agent, agentTransport, mapper, observed };
}

describe('streams in direct mode', () => {
  it('a result stream larger than the pipe write bound arrives whole and in order over SP, none of it on the control plane', async () => {
    const { agent, mapper, observed } = await cluster();
    const before = observed.packets.length;
    const sentBefore = agent.endpointStats()!.mux.sent;
    const hash = createHash('sha256');
    let n = 0;
    // 64 × 256 KiB in flight at once (16 MiB) is twice the pipe's write bound: credit bounds it, the pipe must not divert chunks.
    for await (const chunk of mapper.stream<Buffer>('/bytes/gen', { count: 128, size: 256 * 1024 }, { window: 64 })) {
      hash.update(chunk);
      n++;
    }
    expect(n).toBe(128);
    expect(hash.digest('hex')).toBe(probe.sha);
    expect(observed.packets.slice(before)).toEqual([]);
    // Every chunk and the end went over the agent's SP endpoint.
    expect(agent.endpointStats()!.mux.sent - sentBefore).toBe(129);
  });

  it('an upload goes over SP through a handler and back', async () => {
    const { mapper, observed } = await cluster();
    const before = observed.packets.length;
    const sent = createHash('sha256');
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 64; i++) {
        const b = randomBytes(128 * 1024);
        sent.update(b);
        yield b;
      }
    }
    const got = createHash('sha256');
    for await (const chunk of mapper.stream<Buffer>('/bytes/echo', undefined, { stream: source() })) got.update(chunk);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(observed.packets.slice(before)).toEqual([]);
  });

  it('a slow reader holds the handler to the window; leaving the loop stops the handler within 100 ms', async () => {
    const { mapper } = await cluster();
    const s = mapper.stream<Buffer>('/bytes/forever', undefined, { window: 4 });
    await s.next();
    await new Promise((r) => setTimeout(r, 200));
    expect(s.received).toBeLessThanOrEqual(4);
    probe.stoppedAt = 0;
    let n = 0;
    let brokeAt = 0;
    for await (const _chunk of s) {
      if (++n === 50) {
        brokeAt = Date.now();
        break;
      }
    }
    while (probe.stoppedAt === 0) await new Promise((r) => setTimeout(r, 5));
    expect(probe.stoppedAt - brokeAt).toBeLessThan(100);
  });

  it("the agent's SP connection closing mid-stream fails the stream with NANITE_ERR_AGENT_LOST at once", async () => {
    const { agentTransport, mapper } = await cluster();
    let n = 0;
    let closedAt = 0;
    const reading = (async () => {
      for await (const _chunk of mapper.stream<Buffer>('/bytes/forever', undefined, { window: 8 })) {
        if (++n === 20) {
          closedAt = Date.now();
          // The agent process going away, as its peers see it: its endpoint and connections close.
          void agentTransport.close();
        }
      }
    })();
    await expect(reading).rejects.toMatchObject({ code: 'NANITE_ERR_AGENT_LOST' });
    expect(Date.now() - closedAt).toBeLessThan(1_000);
  });
});

test('a chunk too large for the SP pipe fails its stream with NANITE_ERR_PAYLOAD; it is not sent over the control plane past the chunks still in the pipe', async () => {
  const registry = new MemoryBusRegistry();
  const agent = new Agent({
    transport: new MemoryTransport({ name: 'direct-big', registry }),
    identity: 'big',
    listen: 'tcp://127.0.0.1:0',
    direct: { maxMessageSize: 4_096 },
    logger,
    actors: [defineActor('t', {
      async *json() { for (let i = 0; i < 5; i++) { yield `small ${i}`; yield 'x'.repeat(5_000); } },
      async *bytes() { yield Buffer.alloc(10); yield Buffer.alloc(5_000); },
      warm: (p: unknown) => p,
    })],
  });
  closers.push(() => agent.close());
  await agent.start();
  const observed = new ObservedTransport(new MemoryTransport({ name: 'direct-big', registry }));
  const mapper = new Mapper({ transport: observed, direct: true, logger, discoveryWindow: 0, timeout: 10_000 });
  closers.push(async () => {
    await mapper.close();
    await observed.close();
  });
  await mapper.start();
  await mapper.waitForAgents({ route: '/t/json', timeout: 5_000 });
  for (let i = 0; ; i++) {
    const before = observed.packets.length;
    await mapper.request('/t/warm', 'warm');
    if (observed.packets.length === before) break; // the request went over SP
    if (i === 200) throw new Error('direct path never came up');
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const [route, first] of [['/t/json', 'small 0'], ['/t/bytes', Buffer.alloc(10)]] as const) {
    const got: unknown[] = [];
    await expect((async () => {
      for await (const chunk of mapper.stream(route)) got.push(chunk);
    })()).rejects.toMatchObject({ code: 'NANITE_ERR_PAYLOAD' });
    expect(got).toEqual([first]);
  }
});
