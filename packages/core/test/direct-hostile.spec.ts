/**
 * An agent's direct (SP) endpoint facing peers that misbehave on purpose: a MUX peer that grants
 * stream credit but never reads, and REQ / SURVEYOR JSON peers that ask for more than the endpoint
 * answers, flood it, or hang up with requests still running.
 */
import { connect, type Socket } from 'node:net';
import { Agent, MemoryTransport, SpReqSocket, defineActor } from '../src';
import { RecordingLogger } from './helpers';
import { portOf } from './sp-tools';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const probe = { forever: 0, stopped: 0, slowRuns: 0, slowAborted: 0, onceRuns: 0 };
const actor = defineActor('h', {
  async *forever(_p: unknown, ctx) {
    probe.forever++;
    try {
      while (!ctx.signal.aborted) yield Buffer.alloc(64 * 1024, 7);
    } finally {
      probe.stopped++;
    }
  },
  big: (n: number) => 'x'.repeat(n),
  echo: (p: unknown) => p,
  /** Not idempotent (say, a payment): takes longer than the client's resend interval. */
  once: async () => {
    const run = ++probe.onceRuns;
    await new Promise((r) => setTimeout(r, 600));
    return run;
  },
  slow: (_p: unknown, ctx) => {
    probe.slowRuns++;
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve('late'), 60_000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        probe.slowAborted++;
        resolve('aborted');
      });
    });
  },
});

async function agentOf(direct: { maxMessageSize?: number; maxJsonPending?: number } = {}): Promise<Agent> {
  const agent = new Agent({ transport: new MemoryTransport({ name: `dh-${Math.random()}` }), identity: 'dh', actors: [actor], listen: 'tcp://127.0.0.1:0', direct, logger, drainTimeout: 200 });
  closers.push(() => agent.close());
  await agent.start();
  return agent;
}

/** An SP frame (tcp://): 64-bit length, then the bytes. */
function frame(body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

const packet = (p: object): Buffer => frame(Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(p))]));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a MUX peer that grants credit but never reads', () => {
  it('fails the stream once the pipe holds maxWriteBuffer + maxMessageSize unsent, instead of buffering for ever', async () => {
    const agent = await agentOf({ maxMessageSize: 1024 * 1024 });
    const raw: Socket = connect({ host: '127.0.0.1', port: portOf(agent.endpoint!) });
    raw.on('error', () => undefined);
    closers.push(() => new Promise<void>((resolve) => {
      raw.once('close', () => resolve());
      raw.destroy();
    }));
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.write(Buffer.from([0, 0x53, 0x50, 0, 0x7e, 0x10, 0, 0]));
    raw.write(packet({ v: 1, type: 'request', id: 1, route: '/h/forever', payload: null, replyTo: 'm1', timeout: 0, hops: 0, stream: 2, sentAt: Date.now() }));
    raw.pause();
    const before = { forever: probe.forever, stopped: probe.stopped };
    const credit = packet({ v: 1, type: 'credit', id: 1, replyTo: 'm1', n: 64 });
    const timer = setInterval(() => raw.write(credit), 2);
    try {
      await until(() => probe.stopped > before.stopped, 20_000);
    } finally {
      clearInterval(timer);
    }
    expect(probe.forever).toBe(before.forever + 1);
    expect(agent.endpointStats()!.mux.faults['send-buffer-full']).toBeGreaterThanOrEqual(1);
    expect(agent.stats.failed).toBeGreaterThanOrEqual(1);
  }, 30_000);
});

async function jsonClient(agent: Agent, maxMessageSize?: number, resendInterval?: number): Promise<SpReqSocket> {
  const req = new SpReqSocket({ logger, reconnectMin: 10, reconnectMax: 20, ...(maxMessageSize ? { maxMessageSize } : {}), ...(resendInterval ? { resendInterval } : {}) });
  closers.push(() => req.close());
  req.dial(agent.endpoint!);
  await req.whenConnected(1, 5_000);
  return req;
}

const ask = (req: SpReqSocket, body: object, timeout = 5_000): Promise<unknown> =>
  req.request(Buffer.from(JSON.stringify(body)), { timeout }).then((b) => JSON.parse(b.toString()) as unknown);

describe('the JSON face and maxMessageSize', () => {
  it('answers a result too large for maxMessageSize with NANITE_ERR_PAYLOAD at once', async () => {
    const agent = await agentOf({ maxMessageSize: 64 * 1024 });
    const req = await jsonClient(agent, 64 * 1024);
    const started = Date.now();
    await expect(ask(req, { route: '/h/big', payload: 100_000 }, 3_000)).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_PAYLOAD' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(agent.endpointStats()!.json.oversized).toBe(1);
    // A result that fits still goes back whole.
    await expect(ask(req, { route: '/h/big', payload: 1_000 })).resolves.toEqual({ ok: true, result: 'x'.repeat(1_000) });
  });

  it('takes and answers JSON requests up to the endpoint\'s maxMessageSize, like the MUX face (not the 1 MiB SP default)', async () => {
    const agent = await agentOf({ maxMessageSize: 4 * 1024 * 1024 });
    const req = await jsonClient(agent, 4 * 1024 * 1024);
    const payload = 'y'.repeat(2 * 1024 * 1024);
    await expect(ask(req, { route: '/h/echo', payload }, 3_000)).resolves.toEqual({ ok: true, result: payload });
    expect(agent.endpointStats()!.rep.faults.oversized).toBe(0);
  });
});

describe('the JSON face under load and disconnects', () => {
  it('answers a request over maxJsonPending with NANITE_ERR_OVERLOADED at once (the option\'s promise), counted', async () => {
    const agent = await agentOf({ maxJsonPending: 2 });
    const req = await jsonClient(agent);
    const running = [ask(req, { route: '/h/slow' }, 30_000), ask(req, { route: '/h/slow' }, 30_000)];
    for (const r of running) r.catch(() => undefined); // ended by the agent's close
    await until(() => agent.endpointStats()!.json.requests === 2);
    const started = Date.now();
    await expect(ask(req, { route: '/h/echo', payload: 1 }, 3_000)).resolves.toMatchObject({ ok: false, error: { code: 'NANITE_ERR_OVERLOADED' } });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(agent.endpointStats()!.json).toMatchObject({ overloaded: 1, requests: 2 });
    expect(agent.endpointStats()!.rep.faults.overflow).toBe(1);
  });

  it('runs a request once when its REQ client resends it on the same connection while it runs (NN_REQ_RESEND_IVL): the one reply answers it', async () => {
    const agent = await agentOf();
    const req = await jsonClient(agent, undefined, 150);
    const before = probe.onceRuns;
    const answer = ask(req, { route: '/h/once' }, 5_000);
    await expect(answer).resolves.toEqual({ ok: true, result: before + 1 });
    expect(req.stats().resends).toBeGreaterThanOrEqual(2); // sent three times or more in 600 ms
    expect(probe.onceRuns).toBe(before + 1);
    expect(agent.endpointStats()!.json).toMatchObject({ requests: 1, replies: 1, resendsIgnored: req.stats().resends });
    // A new request (a new id) on the same connection runs, once.
    await expect(ask(req, { route: '/h/once' }, 5_000)).resolves.toEqual({ ok: true, result: before + 2 });
    expect(probe.onceRuns).toBe(before + 2);
    expect(agent.endpointStats()!.rep.pending).toBe(0); // the ignored copies hold no slot
  });

  it('aborts the running requests of a JSON client that hangs up (they hold no agent slot for ever)', async () => {
    const agent = await agentOf();
    const req = await jsonClient(agent);
    const before = { runs: probe.slowRuns, aborted: probe.slowAborted };
    for (let i = 0; i < 3; i++) ask(req, { route: '/h/slow' }, 0).catch(() => undefined);
    await until(() => probe.slowRuns === before.runs + 3);
    await req.close();
    await until(() => probe.slowAborted === before.aborted + 3, 3_000);
    expect(agent.endpointStats()!.json.abandoned).toBe(3);
  });
});
