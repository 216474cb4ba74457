/**
 * amqp:// on a locked-down vhost: the least-privilege permissions documented in docs/amqp.md are
 * enough for each role, and a role without them fails fast with NANITE_ERR_TRANSPORT_AUTH.
 * Creates (and deletes) a vhost and two users on the local broker with rabbitmqctl.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Agent, AmqpTransport, amqpNames, amqpPermissions, defineActor, Mapper, type Logger } from '../src';
import { AMQP_URL, connectionOf } from './amqp.helpers';

const run = promisify(execFile);
const ctl = (...args: string[]): Promise<unknown> => run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });

const id = `${process.pid}-${Date.now().toString(36)}`;
const vhost = `nanite-perm-${id}`;
const users = { agent: `nanite-agent-${id}`, mapper: `nanite-mapper-${id}`, fastMapper: `nanite-fast-mapper-${id}` };
const P = 'app';
// The rows of docs/amqp.md, "Permissions for a locked-down vhost", with P = app.
const PERMISSIONS = {
  agent: [`^${P}\\.(heartbeat|advertise|agent|reply|park)$|^${P}\\.(agent|park)\\..*`, `^${P}\\.(heartbeat|reply|park)$|^amq\\.default$|^${P}\\.(agent|park)\\..*`, `^${P}\\.(advertise|agent|park)$|^${P}\\.(agent|park)\\..*`],
  mapper: [`^${P}\\.(heartbeat|advertise|agent|reply|park|gossip)$|^${P}\\.(mapper|park|gossip)\\..*`, `^${P}\\.(agent|advertise|park|gossip)$|^${P}\\.(mapper|park|gossip)\\..*`, `^${P}\\.(heartbeat|reply|park|gossip)$|^${P}\\.(mapper|gossip)\\..*`],
};

function urlFor(user: string): string {
  const u = new URL(AMQP_URL);
  u.username = user;
  u.password = 'pw';
  u.pathname = `/${encodeURIComponent(vhost)}`;
  u.searchParams.set('prefix', P);
  return u.toString();
}

beforeAll(async () => {
  await ctl('add_vhost', vhost);
  for (const role of ['agent', 'mapper'] as const) {
    await ctl('add_user', users[role], 'pw');
    await ctl('set_permissions', '-p', vhost, users[role], ...PERMISSIONS[role]);
  }
  await ctl('add_user', users.fastMapper, 'pw');
  await ctl('set_permissions', '-p', vhost, users.fastMapper, ...amqpPermissions(P, { defaultExchange: true }).mapper);
}, 60_000);

afterAll(async () => {
  for (const user of Object.values(users)) await ctl('delete_user', user);
  await ctl('delete_vhost', vhost);
}, 60_000);

test('amqpPermissions (what nanite broker setup applies) gives the documented rows', () => {
  expect(amqpPermissions(P)).toEqual(PERMISSIONS);
  const [configure, write, read] = PERMISSIONS.mapper;
  expect(amqpPermissions(P, { defaultExchange: true }).mapper).toEqual([configure, `${write}|^amq\\.default$`, read]);
});

describe('amqp:// on a locked-down vhost', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  /** A mapper of `user` that has found the agent serving /perm/echo and had it answer once. */
  async function startMapper(user: string, logger: Logger): Promise<{ transport: AmqpTransport; mapper: Mapper }> {
    const transport = new AmqpTransport({ url: urlFor(user), logger });
    closers.push(() => transport.close());
    const mapper = new Mapper({ transport, timeout: 5_000, discoveryWindow: 0 });
    await mapper.start();
    closers.push(() => mapper.close());
    await mapper.waitForAgents({ route: '/perm/echo', timeout: 5_000 });
    await expect(mapper.request('/perm/echo', 'hi')).resolves.toBe('hi');
    return { transport, mapper };
  }

  test('an agent and a mapper with the documented permissions work, including failover probes and parking', async () => {
    const agent = new Agent({ transport: urlFor(users.agent), identity: 'locked', actors: [defineActor('perm', { echo: { idempotent: true, handler: (p: unknown) => p }, slow: () => new Promise((r) => setTimeout(() => r('slow'), 600)) })] });
    await agent.start();
    closers.push(() => agent.stop());
    const problems: string[] = [];
    const record = (o: object, msg?: string): void => void problems.push(`${msg ?? ""} ${JSON.stringify(o)}`);
    const told: string[] = [];
    const { transport, mapper } = await startMapper(users.mapper, { debug: record, info: (_o: object, msg?: string) => void told.push(msg ?? ''), warn: record, error: record });
    // In flight for 600 ms: the mapper probes the agent twice meanwhile (a mandatory publish).
    await expect(mapper.request('/perm/slow')).resolves.toBe('slow');
    // Parking declares the durable queue of a route nobody serves yet, from the mapper's side.
    const parked = mapper.request('/perm/later', 1, { persistent: true, timeout: 500 }).catch((e: unknown) => e);
    await expect(parked).resolves.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    expect(transport.isConnected).toBe(true);
    expect(problems).toEqual([]);
    // Refused the default exchange (found out once, on a channel of its own): requests went through `P.agent`.
    expect(told.filter((m) => m.includes('amq.default'))).toEqual([expect.stringContaining('may not publish to the default exchange')]);
  });

  test('a mapper also allowed amq.default sends requests to the agent\'s queue by name', async () => {
    const agentTransport = new AmqpTransport({ url: urlFor(users.agent) });
    closers.push(() => agentTransport.close());
    const agent = new Agent({ transport: agentTransport, identity: 'named', pingInterval: 100, actors: [defineActor('perm', { echo: (p: unknown) => p })] });
    await agent.start();
    closers.push(() => agent.stop());
    const told: string[] = [];
    const { mapper } = await startMapper(users.fastMapper, { debug: () => undefined, info: (_o: object, msg?: string) => void told.push(msg ?? ''), warn: () => undefined, error: () => undefined });
    await new Promise((r) => setTimeout(r, 400)); // Pings naming the queue, after the mapper's connection was found allowed
    // Without its `P.agent` binding the agent is reached by name only.
    const names = amqpNames(P);
    const ch = await connectionOf(agentTransport).createChannel();
    await ch.unbindQueue(names.agentQueue('named'), names.agent, 'named');
    await ch.close();
    await expect(mapper.request('/perm/echo', 'by name')).resolves.toBe('by name');
    expect(told.filter((m) => m.includes('amq.default'))).toEqual([]);
  });

  test('a mapper with only the agent permissions fails fast with NANITE_ERR_TRANSPORT_AUTH', async () => {
    const mapper = new Mapper({ transport: urlFor(users.agent) });
    const t0 = Date.now();
    await expect(mapper.start()).rejects.toMatchObject({ code: 'NANITE_ERR_TRANSPORT_AUTH' });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
