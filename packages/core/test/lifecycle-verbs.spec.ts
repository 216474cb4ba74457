/** One lifecycle verb: `close()` on agents and mappers alike, `stop()` kept as an alias on both. */
import { NaniteError, defineActor } from '../src';
import { TestCluster, flush } from './helpers';

describe('lifecycle verbs', () => {
  let cluster: TestCluster;
  beforeEach(() => { cluster = new TestCluster(); });
  afterEach(() => cluster.close());

  it('agent.close() unregisters the agent from a live mapper, and agent.stop() is the same call', async () => {
    const mapper = await cluster.startedMapper();
    const agent = cluster.agent({ actors: [defineActor('calc', { add: () => 3 })] });
    await agent.start();
    await flush();
    expect(mapper.agents().map((a) => a.identity)).toEqual([agent.identity]);

    const closing = agent.close();
    expect(agent.stop()).toBe(closing);
    await closing;
    await flush();
    expect(agent.isRunning).toBe(false);
    expect(mapper.agents()).toEqual([]);
  });

  it('mapper.stop() is an alias of mapper.close(): later calls fail with NANITE_ERR_SHUTTING_DOWN', async () => {
    const mapper = await cluster.startedMapper();
    const closing = mapper.stop();
    expect(mapper.close()).toBe(closing);
    await closing;
    await expect(mapper.request('/calc/add', {})).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    await expect(mapper.request('/calc/add', {})).rejects.toBeInstanceOf(NaniteError);
  });
});
