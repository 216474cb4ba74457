/** `NaniteModule.forRoot({ metrics })` on a real Nest app: the app's own prom-client registry holds Nanite's metrics, and NaniteMetricsController serves them. */
import { prometheusMetrics } from '@nanite/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { MapperService, NaniteMetricsController, NaniteModule } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

describe('NaniteModule metrics', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  it("joins the app's registry and serves GET /metrics with the mapper's and agent's counters", async () => {
    const registry = new Registry();
    const metrics = prometheusMetrics({ registry });
    const module = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent: { identity: 'calc-1' }, mapper: { discoveryWindow: 0 }, metrics, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
      controllers: [NaniteMetricsController],
    }).compile();
    const app = closer.add(module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const mapper = app.get(MapperService);
    await mapper.waitForAgents({ route: '/calc/add', timeout: 2_000 });
    for (let i = 0; i < 3; i++) await expect(mapper.request('/calc/add', [i, 1])).resolves.toBe(i + 1);

    const text = await registry.metrics();
    expect(text).toMatch(/^nanite_mapper_requests_total\{route="\/calc\/add",kind="request",code="ok"\} 3$/m);
    expect(text).toMatch(/^nanite_agent_requests_total\{route="\/calc\/add",kind="request",code="ok"\} 3$/m);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/^nanite_agent_handler_duration_seconds_count\{route="\/calc\/add",kind="request",outcome="ok"\} 3$/m);
  });

  it('NaniteMetricsController answers 404 when the module has no metrics', async () => {
    const module = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent: false, logger: new MemoryLogger() })],
      controllers: [NaniteMetricsController],
    }).compile();
    const app = closer.add(module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });
});
