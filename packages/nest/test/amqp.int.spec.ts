/** @nanite/nest over the real broker: separate Nest apps, each with its own amqp:// connection. */
import { Controller, Get, Post, Body, Query, UseFilters, type Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { MapperService, NaniteHttpExceptionFilter, NaniteModule, NaniteRuntime, type NaniteModuleOptions } from '../src';
import { AMQP_URL, amqpUrl, Prefixes } from './amqp.helpers';
import { CalcActor, FrontActor, MathService, PayloadGuard, UsersActor } from './fixtures';
import { Closer, MemoryLogger } from './helpers';
import { SlowActor, SlowGate } from './slow.actor';

jest.setTimeout(30_000);

@Controller('api')
@UseFilters(NaniteHttpExceptionFilter)
class ApiController {
  constructor(private readonly nanite: MapperService) {}

  @Get('add')
  async add(@Query('a') a: string, @Query('b') b: string): Promise<{ sum: number; agent: string }> {
    const { result, agent } = await this.nanite.call<number>('/calc/add', [Number(a), Number(b)]);
    return { sum: result, agent };
  }

  @Post('users')
  create(@Body() body: unknown): Promise<unknown> {
    return this.nanite.request('/users/create', body);
  }
}

describe('@nanite/nest over amqp://', () => {
  const closer = new Closer();
  const prefixes = new Prefixes();
  let url: string;

  beforeEach(() => {
    url = amqpUrl(AMQP_URL, prefixes.next('int'));
  });

  afterEach(async () => {
    await closer.closeAll();
    await prefixes.removeAll(AMQP_URL, [CalcActor, UsersActor, FrontActor, SlowActor]);
  });

  async function app(providers: Type[], options: Partial<NaniteModuleOptions> = {}, controllers: Type[] = []): Promise<TestingModule> {
    const moduleRef = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ url, logger: new MemoryLogger(), ...options })],
        providers,
        controllers,
      }).compile(),
    );
    await moduleRef.init();
    return moduleRef;
  }

  it('an HTTP route (Fastify) calls an actor in another app through MapperService, and back', async () => {
    await app([MathService, CalcActor, UsersActor, PayloadGuard], { mapper: false, agent: { identity: 'amqp-worker' } });
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ url, logger: new MemoryLogger() })],
      controllers: [ApiController],
    }).compile();
    const http = closer.add(moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await http.init();
    await http.get(MapperService).waitForAgents({ route: '/calc/add', timeout: 10_000 });

    const res = await http.inject({ method: 'GET', url: '/api/add?a=40&b=2' });
    expect(res.json()).toEqual({ sum: 42, agent: 'amqp-worker' });
    const bad = await http.inject({ method: 'POST', url: '/api/users', payload: { name: 'n', age: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'NANITE_ERR_VALIDATION', data: { messages: ['name must be longer than or equal to 2 characters'] } });
  });

  it('validation and guard failures cross the wire as structured errors', async () => {
    await app([UsersActor, PayloadGuard], { mapper: false });
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/users/create', timeout: 10_000 });
    await expect(nanite.request('/users/create', { name: 'x', age: -1 })).rejects.toMatchObject({
      code: 'NANITE_ERR_VALIDATION',
      retryable: false,
      data: { status: 400, messages: expect.arrayContaining(['age must not be less than 0']) },
    });
    await expect(nanite.request('/users/secret', { allowed: false })).rejects.toMatchObject({ code: 'NANITE_ERR_FORBIDDEN' });
    await expect(nanite.request('/users/secret', { allowed: true })).resolves.toBe('secret for true');
  });

  it('an actor injecting MapperService calls an actor in a third app (hops carried)', async () => {
    await app([MathService, CalcActor], { mapper: false });
    await app([FrontActor]);
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/front/viaCalc', timeout: 10_000 });
    await nanite.waitForAgents({ route: '/calc/add', timeout: 10_000 });
    await expect(nanite.request('/front/viaCalc', [5, 6])).resolves.toEqual({ sum: 11, inner: { payload: null, route: '/calc/whoami', hops: 1 } });
  });

  it('graceful shutdown with a request in flight: it completes, the agent unregisters, the connection closes', async () => {
    const gate = new SlowGate();
    const agentApp = await app([SlowActor, { provide: SlowGate, useValue: gate } as never], { mapper: false, agent: { identity: 'amqp-slow' } });
    const caller = await app([]);
    const nanite = caller.get(MapperService);
    await nanite.waitForAgents({ route: '/slow/work', timeout: 10_000 });
    const down = new Promise<string>((resolve) => caller.get(NaniteRuntime).mapper!.on('agent:down', (agent, reason) => resolve(`${agent.identity}:${reason}`)));
    const inFlight = nanite.request<string>('/slow/work', null, { timeout: 20_000 });
    await gate.started.promise;

    const runtime = agentApp.get(NaniteRuntime);
    const closing = agentApp.close();
    gate.release.resolve();
    await expect(inFlight).resolves.toBe('done');
    await closing;
    expect(runtime.state).toBe('stopped');
    expect(runtime.connected).toBe(false);
    await expect(down).resolves.toBe('amqp-slow:unregistered');
  });
});
