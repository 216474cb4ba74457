/**
 * Secure mode on amqp://: a forged result that cannot be verified changes nothing for the real
 * request. The mapper link keeps the request's in-flight record (what it probes the agent for), so
 * when the agent then dies, the transport notices within its probe interval and the request moves
 * to another agent, long before its timeout. (Before the secure layer verified first, the forgery
 * cleared that record: the dead agent was no longer probed and the request waited for its timeout.)
 */
import { connect, type ChannelModel } from 'amqplib';
import { Agent, AmqpTransport, defineActor, JsonSerializer, Mapper, amqpNames, type SecurityOptions } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';
import { issue, makeCa, type TestCa } from './pki';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('secure mode on amqp://: forged results before verification', () => {
  const prefix = uniquePrefix('secfr');
  const names = amqpNames(prefix);
  let ca: TestCa;
  let conn: ChannelModel;
  const closers: Array<() => Promise<void>> = [];
  const sec = async (name: string): Promise<SecurityOptions> => ({ ...(await issue(ca, name)), ca: ca.pem });

  beforeAll(async () => {
    ca = await makeCa();
    conn = await connect(AMQP_URL);
  });

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await conn.close();
    await removeTopology([prefix]);
  });

  test('a forged result for a running request neither answers it nor stops its failover when its agent dies', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    closers.push(async () => release());
    const work = (who: string) => [defineActor('work', { run: { handler: async () => { if (who === 'carl') await held; return who; }, idempotent: true } })];
    // carl's transport is closed under it below, the way a killed process's connection goes.
    const carlAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    const carl = new Agent({ transport: carlAmqp, security: await sec('carl'), actors: work('carl'), pingInterval: 300, logger: quiet });
    const bobAmqp = new AmqpTransport({ url: AMQP_URL, prefix, logger: quiet });
    const bob = new Agent({ transport: bobAmqp, security: await sec('bob'), actors: work('bob'), pingInterval: 300, logger: quiet });
    // Heartbeat silence would take a minute to notice: only the transport's probe can move the request in time.
    // Requests through `P.agent`, where the attacker's tap (below) sees them: by queue name they would pass it by.
    const mapper = new Mapper({ transport: `${AMQP_URL}?prefix=${prefix}&defaultExchange=false`, security: await sec('web'), roster: false, agentTimeout: 60_000, timeout: 20_000, logger: quiet });
    closers.push(
      async () => { await bob.stop(); await bobAmqp.close(); },
      async () => { await carlAmqp.close(); },
      async () => { await mapper.close(); },
    );
    await carl.start();
    await mapper.start();
    await mapper.waitForAgents({ route: '/work/run', timeout: 10_000 });
    // The attacker (broker credentials, no certificate) taps carl's requests: their ids travel in clear.
    const ch = await conn.createChannel();
    const json = new JsonSerializer();
    const ids: number[] = [];
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(queue, names.agent, 'carl');
    await ch.consume(queue, (m) => {
      if (m) ids.push((json.decode(m.content) as { id: number }).id);
    }, { noAck: true });
    const answer = mapper.request('/work/run', {});
    answer.catch(() => undefined); // awaited below; a rejection before then must not go unhandled
    await bob.start();
    await mapper.waitForAgents({ route: '/work/run', count: 2, timeout: 10_000 });

    // ... and answers the tapped request "as carl", in clear and with a frame it cannot make.
    for (let i = 0; ids.length === 0 && i < 200; i++) await sleep(50);
    expect(ids).toHaveLength(1);
    const id = ids[0]!;
    ch.publish(names.reply, mapper.identity, json.encode({ v: 1, type: 'result', id, from: 'carl', ok: true, result: 'forged' }));
    ch.publish(names.reply, mapper.identity, json.encode({ v: 1, type: 'result', id, from: 'carl', ok: true, sec: Buffer.from('4e0102', 'hex') }));
    await ch.close();
    await sleep(500);

    const t0 = Date.now();
    await carlAmqp.close();
    await expect(answer).resolves.toBe('bob');
    expect(Date.now() - t0).toBeLessThan(8_000);
  }, 30_000);
});
