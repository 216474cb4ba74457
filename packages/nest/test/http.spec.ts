/** An HTTP route (Fastify adapter) calls, through MapperService, an actor running in another Nest app, and back. */
import { Body, Controller, Get, Post, Query, UseFilters } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { MapperService, NaniteHttpExceptionFilter, NaniteModule } from '../src';
import { CalcActor, MathService, PayloadGuard, UsersActor } from './fixtures';
import { Closer, MemoryLogger, TestBus } from './helpers';

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

  @Get('missing')
  missing(): Promise<unknown> {
    return this.nanite.request('/nobody/home');
  }
}

describe('HTTP route -> MapperService -> actor in another app', () => {
  const closer = new Closer();
  let bus: TestBus;
  let http: NestFastifyApplication;

  beforeEach(async () => {
    bus = new TestBus();
    const agentApp: TestingModule = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: false, agent: { identity: 'worker-1' }, logger: new MemoryLogger() })],
        providers: [MathService, CalcActor, UsersActor, PayloadGuard],
      }).compile(),
    );
    await agentApp.init();

    const httpModule = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: { discoveryWindow: 0 }, logger: new MemoryLogger() })],
      controllers: [ApiController],
    }).compile();
    http = closer.add(httpModule.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await http.init();
    await http.getHttpAdapter().getInstance().ready();
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
    expect(bus.openBuses()).toEqual([]);
  });

  it('returns the actor result', async () => {
    const res = await http.inject({ method: 'GET', url: '/api/add?a=40&b=2' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sum: 42, agent: 'worker-1' });
  });

  it('turns a remote validation failure into HTTP 400 with the structured error', async () => {
    const res = await http.inject({ method: 'POST', url: '/api/users', payload: { name: 'n', age: 3 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      statusCode: 400,
      code: 'NANITE_ERR_VALIDATION',
      retryable: false,
      data: { status: 400, messages: ['name must be longer than or equal to 2 characters'] },
    });
    const ok = await http.inject({ method: 'POST', url: '/api/users', payload: { name: 'grace', age: 85 } });
    expect(ok.json()).toEqual({ created: 'grace', isDto: true });
  });

  it('answers 503 at once when no agent serves the route', async () => {
    const res = await http.inject({ method: 'GET', url: '/api/missing' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });
});
