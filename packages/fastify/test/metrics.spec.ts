// `metrics: true` on the plugin: GET /metrics (Fastify inject) after traffic shows the mapper's and
// the hosted agent's request counters and latency histograms with their route and code labels.
import { defineActor, Mapper, prometheusMetrics } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { nanitePlugin } from '../src';
import { busUrl } from './helpers';

const calc = defineActor('calc', {
  add: ([a, b]: [number, number]) => a + b,
  fail: () => { throw new Error('nope'); },
});

describe('nanitePlugin metrics', () => {
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(() => app.close());

  it('metrics: true serves GET /metrics with the counters and histograms of the traffic', async () => {
    await app.register(nanitePlugin, { url: busUrl(), actors: [calc], agentOptions: { identity: 'calc-1' }, metrics: true });
    await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });
    for (let i = 0; i < 4; i++) await app.nanite.request('/calc/add', [i, i]);
    await expect(app.nanite.request('/calc/fail')).rejects.toMatchObject({ code: 'NANITE_ERR_HANDLER' });

    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/^nanite_mapper_requests_total\{route="\/calc\/add",kind="request",code="ok"\} 4$/m);
    expect(res.body).toMatch(/^nanite_mapper_requests_total\{route="\/calc\/fail",kind="request",code="NANITE_ERR_HANDLER"\} 1$/m);
    expect(res.body).toMatch(/^nanite_mapper_request_duration_seconds_count\{route="\/calc\/add",kind="request",outcome="ok"\} 4$/m);
    expect(res.body).toMatch(/^nanite_agent_requests_total\{route="\/calc\/add",kind="request",code="ok"\} 4$/m);
    expect(res.body).toMatch(/^nanite_agent_handler_duration_seconds_count\{route="\/calc\/fail",kind="request",outcome="error"\} 1$/m);
    expect(res.body).toMatch(/^nanite_agent_in_flight\{agent="calc-1"\} 0$/m);
    // Roster states: registered (joining) or pinging (up), nothing doubted.
    const agents = Object.fromEntries([...res.body.matchAll(/^nanite_mapper_agents\{mapper="[^"]+",state="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    expect(agents.joining! + agents.up!).toBe(1);
    expect([agents.suspect, agents.down, agents.removed, agents['unknown-since-restart']]).toEqual([0, 0, 0, 0]);
  });

  it('joins the app’s own registry at a path of its choosing; without the option there is no route', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ app: 'shop' });
    const metrics = prometheusMetrics({ registry });
    await app.register(nanitePlugin, { url: busUrl(), actors: [calc], metrics: { metrics, path: '/internal/metrics' } });
    await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });
    await app.nanite.request('/calc/add', [1, 2]);
    const res = await app.inject({ method: 'GET', url: '/internal/metrics' });
    expect(res.body).toMatch(/^nanite_mapper_requests_total\{route="\/calc\/add",kind="request",code="ok",app="shop"\} 1$/m);
    expect(await registry.metrics()).toBe(res.body);

    const plain = Fastify();
    await plain.register(nanitePlugin, { url: busUrl() });
    expect((await plain.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    await plain.close();
  });

  // path: 'metrics' threw an AssertionError from Fastify's router (and only once the mapper was up).
  it.each<[string, unknown]>([
    ["'metrics' (no leading slash)", 'metrics'],
    ['5', 5],
    ["''", ''],
  ])('refuses metrics.path %s at registration with NANITE_ERR_INVALID_ARGUMENT, before anything connects', async (_what, path) => {
    const mapper = new Mapper({ transport: busUrl(), discoveryWindow: 0 });

    await expect(app.register(nanitePlugin, { mapper, metrics: { path: path as string } }).ready()).rejects.toMatchObject({
      name: 'NaniteError',
      code: 'NANITE_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining("metrics.path must be a path starting with '/'"),
    });
    expect(mapper.isRunning).toBe(false);
  });

  it("refuses metrics and errorHandler of the wrong shape, and a mapper given as a string", async () => {
    for (const [options, named] of [
      [{ url: busUrl(), metrics: 'yes' }, 'metrics must be'],
      [{ url: busUrl(), metrics: { metrics: {} } }, 'metrics.metrics must be'],
      [{ url: busUrl(), errorHandler: 'on' }, 'errorHandler must be'],
      [{ url: busUrl(), mapper: 'x' }, 'mapper must be'],
    ] as const) {
      const scope = Fastify();
      await expect(scope.register(nanitePlugin, options as never).ready()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining(named) });
      await scope.close();
    }
  });
});
