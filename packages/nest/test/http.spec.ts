/** An HTTP route (Fastify adapter) calls, through MapperService, an actor running in another Nest app, and back. */
import { NaniteError } from '@nanite/core';
import { Body, Controller, Get, NotFoundException, Post, Query, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { MapperService, NANITE_HTTP_FILTER_OPTIONS, NANITE_HTTP_STATUS, NaniteHttpExceptionFilter, NaniteModule } from '../src';
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

  /** A NaniteError from another copy of @nanite/core: not this class, same shape. */
  @Get('foreign')
  foreign(): never {
    const err = Object.assign(new Error('too slow'), { name: 'NaniteError', code: 'NANITE_ERR_TIMEOUT', retryable: true, data: { ms: 5 } });
    throw err;
  }

  @Get('not-found')
  notFound(): never {
    throw new NotFoundException('no such page');
  }

  @Get('plain')
  plain(): never {
    throw new Error('plain failure');
  }

  @Get('secret')
  secret(): never {
    throw new NaniteError('NANITE_ERR_HANDLER', { message: 'failed', data: { stack: 'internal' } });
  }
}

/** No filter of its own: only global filters apply. */
@Controller('bare')
class BareController {
  @Get('secret')
  secret(): never {
    throw new NaniteError('NANITE_ERR_HANDLER', { message: 'failed', data: { stack: 'internal' } });
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

  it('answers 503 with Retry-After at once when no agent serves the route', async () => {
    const res = await http.inject({ method: 'GET', url: '/api/missing' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code: 'NANITE_ERR_NO_AGENT', retryable: true });
  });

  it("maps with core's shared table, recognising NaniteErrors by shape", async () => {
    const res = await http.inject({ method: 'GET', url: '/api/foreign' });
    expect(res.statusCode).toBe(NANITE_HTTP_STATUS.NANITE_ERR_TIMEOUT);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json()).toEqual({ statusCode: 504, error: 'Gateway Timeout', code: 'NANITE_ERR_TIMEOUT', message: 'too slow', retryable: true, data: { ms: 5 } });
    const handler = await http.inject({ method: 'GET', url: '/api/secret' });
    expect(handler.statusCode).toBe(502);
    expect(handler.json()).toMatchObject({ data: { stack: 'internal' } });
  });

  it("leaves other errors to Nest's default handling", async () => {
    const notFound = await http.inject({ method: 'GET', url: '/api/not-found' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'no such page' });
    const plain = await http.inject({ method: 'GET', url: '/api/plain' });
    expect(plain.statusCode).toBe(500);
    expect(plain.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
  });
});

describe('NaniteHttpExceptionFilter options', () => {
  let http: NestFastifyApplication | undefined;
  let bus: TestBus;

  beforeEach(() => {
    bus = new TestBus();
  });

  afterEach(async () => {
    await http?.close();
    http = undefined;
    await bus.close();
    expect(bus.openBuses()).toEqual([]);
  });

  async function start(provider: boolean, global?: { exposeData?: boolean; statusCodes?: Record<string, number> }): Promise<NestFastifyApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: { discoveryWindow: 0 }, logger: new MemoryLogger() })],
      controllers: [ApiController, BareController],
      providers: provider ? [{ provide: NANITE_HTTP_FILTER_OPTIONS, useValue: { exposeData: false } }] : [],
    }).compile();
    http = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    if (global) http.useGlobalFilters(new NaniteHttpExceptionFilter(http.get(HttpAdapterHost), global));
    await http.init();
    await http.getHttpAdapter().getInstance().ready();
    return http;
  }

  it('exposeData: false (from the NANITE_HTTP_FILTER_OPTIONS provider) leaves data out of the body', async () => {
    const app = await start(true);
    const res = await app.inject({ method: 'GET', url: '/api/secret' });
    expect(res.statusCode).toBe(502);
    expect(res.json()).toEqual({ statusCode: 502, error: 'Bad Gateway', code: 'NANITE_ERR_HANDLER', message: 'failed', retryable: false });
  });

  it('leaves data out by default when NODE_ENV=production; exposeData: true brings it back', async () => {
    const saved = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      const app = await start(false, { exposeData: true });
      // The controller-scoped filter (defaults) answers /api; the global one (exposeData: true) /bare.
      const hidden = await app.inject({ method: 'GET', url: '/api/secret' });
      const shown = await app.inject({ method: 'GET', url: '/bare/secret' });
      expect(hidden.statusCode).toBe(502);
      expect(hidden.json()).toEqual({ statusCode: 502, error: 'Bad Gateway', code: 'NANITE_ERR_HANDLER', message: 'failed', retryable: false });
      expect(hidden.body).not.toContain('internal');
      expect(shown.json()).toMatchObject({ code: 'NANITE_ERR_HANDLER', data: { stack: 'internal' } });
    } finally {
      if (saved === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = saved;
    }
  });

  it('statusCodes override the table (global filter built by hand)', async () => {
    const app = await start(false, { statusCodes: { NANITE_ERR_HANDLER: 500 }, exposeData: false });
    const res = await app.inject({ method: 'GET', url: '/bare/secret' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'NANITE_ERR_HANDLER', message: 'failed', retryable: false });
    // The controller-scoped filter (no options provider: defaults) runs first and uses the shared table.
    const scoped = await app.inject({ method: 'GET', url: '/api/secret' });
    expect(scoped.statusCode).toBe(502);
    expect(scoped.json()).toMatchObject({ data: { stack: 'internal' } });
  });
});
