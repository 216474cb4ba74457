/**
 * An agent's JSON face (plain SP REQ / SURVEYOR peers) numbers its requests 1, 2, 3… under the
 * reserved sender `~sp-json`: no other peer, over SP or over the control plane, may send a request
 * or a cancel in that name, or it would answer (or stop) a JSON client's request with its own.
 */
import { Agent, MemoryBusRegistry, MemoryTransport, SpMuxSocket, SpReqSocket, defineActor } from '../src';
import { RecordingLogger } from './helpers';

const logger = new RecordingLogger();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const actor = defineActor('t', {
  slow: async (p: unknown) => {
    await new Promise((r) => setTimeout(r, 300));
    return `genuine answer for ${String(p)}`;
  },
  echo: (p: unknown) => p,
});

const forged = (type: 'request' | 'cancel') => (type === 'request'
  ? { v: 1, type, id: 1, route: '/t/echo', payload: 'FORGED by another peer', replyTo: '~sp-json', timeout: 0, hops: 0 }
  : { v: 1, type, id: 1, replyTo: '~sp-json' });

async function jsonClientOf(): Promise<{ registry: MemoryBusRegistry; agent: Agent; req: SpReqSocket }> {
  const registry = new MemoryBusRegistry();
  const agent = new Agent({ transport: new MemoryTransport({ name: 'jf', registry }), identity: 'jf', actors: [actor], listen: 'tcp://127.0.0.1:0', logger });
  closers.push(() => agent.close());
  await agent.start();
  const req = new SpReqSocket({ logger });
  closers.push(() => req.close());
  req.dial(agent.endpoint!);
  await req.whenConnected(1, 5_000);
  return { registry, agent, req };
}

const ask = (req: SpReqSocket) => req.request(Buffer.from(JSON.stringify({ route: '/t/slow', payload: 'victim' })), { timeout: 5_000 }).then((b) => JSON.parse(b.toString()) as unknown);

test.each(['request', 'cancel'] as const)('a %s sent over SP in the JSON face\'s name is dropped as malformed: the JSON client gets its own answer', async (type) => {
  const { agent, req } = await jsonClientOf();
  const victim = ask(req);
  const mux = new SpMuxSocket({ logger });
  closers.push(() => mux.close());
  let pipe: number | undefined;
  mux.onPipe((event, info) => {
    if (event === 'up') pipe = info.id;
  });
  mux.serve(() => undefined);
  mux.dial(agent.endpoint!);
  await mux.whenConnected(1, 5_000);
  await new Promise((r) => setTimeout(r, 50)); // the victim's request is running
  mux.send(pipe!, [Buffer.from([1]), Buffer.from(JSON.stringify(forged(type)))]);
  await expect(victim).resolves.toEqual({ ok: true, result: 'genuine answer for victim' });
  expect(agent.endpointStats()).toMatchObject({ malformed: 1 });
});

test.each(['request', 'cancel'] as const)('a %s sent over the control plane in the JSON face\'s name is dropped as malformed', async (type) => {
  const { registry, agent, req } = await jsonClientOf();
  const victim = ask(req);
  const peer = new MemoryTransport({ name: 'jf', registry });
  closers.push(() => peer.close());
  await peer.connect();
  const link = await peer.openMapper('intruder', { onPacket: () => undefined, onMalformed: () => undefined, onUndeliverable: () => undefined });
  closers.push(() => link.close());
  await new Promise((r) => setTimeout(r, 50));
  link.send('jf', forged(type) as never);
  await expect(victim).resolves.toEqual({ ok: true, result: 'genuine answer for victim' });
  expect(agent.stats.malformed).toBeGreaterThanOrEqual(1);
});
