/** `mapper` and `agent` take an instance or options (the same shapes as NaniteModule of @nanite/nest). */
import { Agent, defineActor, Mapper, type WaitForAgentsOptions } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin, type NaniteAgentOptions, type NaniteMapperOptions } from '../src';
import { busUrl } from './helpers';

const calc = defineActor('calc', { add: (p) => { const [a, b] = p as [number, number]; return a + b; } });

describe('nanitePlugin option shapes', () => {
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
  });

  it('takes mapper and agent as options: the plugin creates, runs and closes them', async () => {
    const mapper: NaniteMapperOptions = { discoveryWindow: 0 };
    const agent: NaniteAgentOptions = { identity: 'hosted', tags: ['eu'] };
    await app.register(nanitePlugin, { url: busUrl(), mapper, agent, actors: [calc] });
    await app.ready();
    const waitFor: WaitForAgentsOptions = { route: '/calc/add', timeout: 2_000 };
    await app.nanite.waitForAgents(waitFor);

    await expect(app.nanite.call<number>('/calc/add', [2, 3])).resolves.toMatchObject({ result: 5, agent: 'hosted' });
    expect(app.nanite.agent?.tags).toEqual(['eu']);
    const hosted = app.nanite.agent!;
    const own = app.nanite.mapper;
    await app.close();
    expect(hosted.isRunning).toBe(false);
    expect(own.isRunning).toBe(false);
  });

  it('takes mapper and agent as instances: it starts them and leaves them running', async () => {
    const url = busUrl();
    const mapper = new Mapper({ transport: url, discoveryWindow: 0 });
    const agent = new Agent({ transport: url, identity: 'mine', actors: [calc] });
    try {
      await app.register(nanitePlugin, { mapper, agent });
      await app.ready();
      expect(app.nanite.mapper).toBe(mapper);
      expect(app.nanite.agent).toBe(agent);
      await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });
      await expect(app.nanite.request<number>('/calc/add', [1, 2])).resolves.toBe(3);

      await app.close();
      expect(mapper.isRunning && agent.isRunning).toBe(true);
    } finally {
      await agent.close();
      await mapper.close();
    }
  });

  it('still takes the earlier mapperOptions / agentOptions names', async () => {
    await app.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 }, agentOptions: { identity: 'old-style' }, actors: [calc] });
    await app.ready();

    expect(app.nanite.agent?.identity).toBe('old-style');
  });

  it('refuses agent options without a transport for the hosted agent', async () => {
    const mapper = new Mapper({ transport: busUrl(), discoveryWindow: 0 });
    await expect(app.register(nanitePlugin, { mapper, agent: { identity: 'nowhere' } }).ready()).rejects.toMatchObject({
      code: 'NANITE_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('needs url or transport'),
    });
    await mapper.close();
  });
});
