/** Booting while the broker is down, then recovering: on a private RabbitMQ node (never the shared one). */
import { Controller, Get, UseFilters } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { MapperService, NaniteHealthIndicator, NaniteHttpExceptionFilter, NaniteModule } from '../src';
import { amqpUrl, PrivateBroker, Prefixes } from './amqp.helpers';
import { CalcActor, MathService } from './fixtures';
import { Closer, MemoryLogger } from './helpers';

jest.setTimeout(120_000);

const broker = new PrivateBroker();
beforeAll(() => broker.start(), 90_000);
afterAll(() => broker.stop(), 60_000);

@Controller()
@UseFilters(NaniteHttpExceptionFilter)
class SumController {
  constructor(private readonly nanite: MapperService) {}
  @Get('sum')
  sum(): Promise<number> {
    return this.nanite.request<number>('/calc/add', [1, 2], { timeout: 2_000 });
  }
}

describe('boot while the broker is down, then recover', () => {
  const closer = new Closer();
  const prefixes = new Prefixes();

  afterEach(async () => {
    await closer.closeAll();
    await broker.startApp();
    await prefixes.removeAll(broker.url);
  });

  it('both apps boot at once, report down, and serve once the broker is up', async () => {
    await broker.stopApp();
    const url = amqpUrl(broker.url, prefixes.next('outage'), { reconnectMax: 500 });

    const t0 = Date.now();
    const agentApp = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ url, mapper: false, agent: { identity: 'late-worker', pingInterval: 1_000 }, logger: new MemoryLogger() })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await agentApp.init();
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ url, logger: new MemoryLogger() })],
      controllers: [SumController],
    }).compile();
    const http = closer.add(moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await http.init();
    expect(Date.now() - t0).toBeLessThan(5_000);

    const nanite = http.get(MapperService);
    const health = http.get(NaniteHealthIndicator);
    expect(nanite.isReady).toBe(false);
    await expect(health.check('nanite')).resolves.toMatchObject({ nanite: { status: 'down', connected: false, reason: 'transport disconnected' } });
    // The HTTP API is up and fails fast and clearly meanwhile.
    const early = await http.inject({ method: 'GET', url: '/sum' });
    expect(early.statusCode).toBe(503);

    await broker.startApp();
    await nanite.waitForAgents({ route: '/calc/add', timeout: 30_000 });
    expect(nanite.isReady).toBe(true);
    await expect(health.check('nanite', { minAgents: 1 })).resolves.toMatchObject({ nanite: { status: 'up', connected: true, agents: 1 } });
    const res = await http.inject({ method: 'GET', url: '/sum' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('3');
  });
});
