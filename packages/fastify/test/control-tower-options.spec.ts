/** The Control Tower's options are checked at registration: a bad one fails naming it. */
import { NaniteError } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin, naniteControlTower, type ControlTowerOptions } from '../src';
import { busUrl } from './helpers';

describe('Control Tower options', () => {
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
  });

  async function registration(options: Record<string, unknown>): Promise<unknown> {
    await app.register(nanitePlugin, { url: busUrl() });
    return app
      .register(naniteControlTower, options as ControlTowerOptions)
      .ready()
      .then(
        () => 'registered',
        (err: unknown) => err,
      );
  }

  it.each<[string, Record<string, unknown>, string]>([
    // Each of these was a raw TypeError, a Fastify schema error, or a silent misbehaviour.
    ['title: 5 (was a TypeError from the page template)', { title: 5 }, 'title'],
    ['mapper: {} (was "mapper.on is not a function")', { mapper: {} }, 'mapper'],
    ["maxTimeout: '60000' (was a Fastify schema build error)", { maxTimeout: '60000' }, 'maxTimeout'],
    ['heartbeatInterval: Infinity (was a ping every millisecond)', { heartbeatInterval: Infinity }, 'heartbeatInterval'],
    ['downRetention: Infinity (down agents were removed after 1 ms)', { downRetention: Infinity }, 'downRetention'],
    ['downRetention: 2^31 (Node turns it into 1 ms too)', { downRetention: 2 ** 31 }, 'downRetention'],
    ["chartWindow: 'long' (the history would never be trimmed)", { chartWindow: 'long' }, 'chartWindow'],
    ['maxStreamBuffer: NaN (event streams would never be dropped)', { maxStreamBuffer: NaN }, 'maxStreamBuffer'],
    ['maxRequestBuffer: 0', { maxRequestBuffer: 0 }, 'maxRequestBuffer'],
    ['maxEventStreams: 1.5', { maxEventStreams: 1.5 }, 'maxEventStreams'],
    ['maxDownAgents: -1', { maxDownAgents: -1 }, 'maxDownAgents'],
    ["maxChartRoutes: '8'", { maxChartRoutes: '8' }, 'maxChartRoutes'],
    ['maxChartAgents: null', { maxChartAgents: null }, 'maxChartAgents'],
    ["readOnly: 'false'", { readOnly: 'false' }, 'readOnly'],
    ['prefix: 5', { prefix: 5 }, 'prefix'],
  ])('refuses %s with NANITE_ERR_INVALID_ARGUMENT naming the option', async (_what, options, name) => {
    const failure = await registration(options);

    expect(failure).toBeInstanceOf(NaniteError);
    expect(failure).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining(`naniteControlTower option ${name} `), data: { option: name } });
  });

  it('names what a mapper lacks', async () => {
    const failure = await registration({ mapper: { on: () => undefined, off: () => undefined } });

    expect(failure).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('missing agents, roster, observe, call') });
  });

  it('takes every option at its bounds (2^31-1 ms, 1) and serves', async () => {
    const failure = await registration({
      title: '',
      readOnly: false,
      downRetention: 2 ** 31 - 1,
      heartbeatInterval: 2 ** 31 - 1,
      maxTimeout: 2 ** 31 - 1,
      maxDownAgents: 1,
      maxEventStreams: 1,
      maxStreamBuffer: 1,
      maxRequestBuffer: 1,
      chartWindow: 1,
      maxChartRoutes: 1,
      maxChartAgents: 1,
    });

    expect(failure).toBe('registered');
    expect((await app.inject({ url: '/nanite/api/agents' })).statusCode).toBe(200);
  });
});
