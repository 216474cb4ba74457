/**
 * Load feedback over amqp://: the status an agent piggybacks on its results reaches two separate
 * mappers' views through the broker, with pings too rare to tell them.
 */
import { Agent, AmqpTransport, defineActor, LeastLoadedSelector, Mapper } from '../src';
import { AMQP_URL, removeTopology, uniquePrefix } from './amqp.helpers';

const prefixes: string[] = [];
afterAll(() => removeTopology(prefixes));

describe('amqp:// status piggybacked on results', () => {
  let closers: Array<() => Promise<void>>;
  let prefix: string;
  const transport = (): AmqpTransport => {
    const t = new AmqpTransport({ url: AMQP_URL, prefix });
    closers.push(() => t.close());
    return t;
  };
  beforeEach(() => {
    prefix = uniquePrefix('piggyback');
    prefixes.push(prefix);
    closers = [];
  });
  afterEach(async () => {
    for (const c of closers.reverse()) await c();
  });

  test('after one result from a loaded agent, the mapper sends the next requests to the other one', async () => {
    let busyStatus = 0;
    const start = async (identity: string, status: () => number): Promise<void> => {
      // Pings every 5 minutes: only results can carry the change.
      const a = new Agent({ transport: transport(), identity, pingInterval: 300_000, status, actors: [defineActor('r', { x: () => identity })] });
      await a.start();
      closers.push(() => a.stop());
    };
    await start('busy', () => busyStatus);
    await start('idle', () => 0);
    // Load alone decides here: the default (latency-aware) least_loaded would rightly prefer the
    // loaded agent whenever the idle one's first replies are slower than 4× its own (a loaded CI box
    // makes them so now and then); the weighing by latency has its own unit tests.
    const m = new Mapper({ transport: transport(), timeout: 10_000, selector: new LeastLoadedSelector({ latencyAware: false }) });
    await m.start();
    closers.push(() => m.close());
    await m.waitForAgents({ route: '/r/x', count: 2, timeout: 10_000 });
    busyStatus = 3;
    expect(await m.request('/r/x', null, { target: 'busy' })).toBe('busy');
    expect(m.agents().find((a) => a.identity === 'busy')!.status).toBe(3);
    const answers: unknown[] = [];
    for (let i = 0; i < 6; i++) answers.push(await m.request('/r/x'));
    expect(answers).toEqual(Array(6).fill('idle'));
    // The response time was measured too (the latency-aware least_loaded reads it).
    expect(m.agents().find((a) => a.identity === 'idle')!.latency).toBeGreaterThan(0);
  }, 30_000);
});
