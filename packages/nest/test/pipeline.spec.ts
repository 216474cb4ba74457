/** Guards, pipes, interceptors and exception filters around actor methods; errors reach the caller structured. */
import { NaniteError } from '@nanite/core';
import { Injectable, ValidationPipe } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Actor, Expose, MapperService, NaniteModule, Payload } from '../src';
import { CreateUserDto, PayloadGuard, UsersActor } from './fixtures';
import { Closer, MemoryLogger, TestBus } from './helpers';

describe('Nest pipeline around actor methods', () => {
  let bus: TestBus;
  let agentApp: TestingModule;
  let nanite: MapperService;
  const closer = new Closer();

  beforeEach(async () => {
    bus = new TestBus();
    agentApp = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: false, logger: new MemoryLogger() })],
        providers: [UsersActor, PayloadGuard],
      }).compile(),
    );
    await agentApp.init();
    // The caller is another app: errors cross the transport as { code, message, retryable, data }.
    const callerApp = closer.add(await Test.createTestingModule({ imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })] }).compile());
    await callerApp.init();
    nanite = callerApp.get(MapperService);
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
    expect(bus.openBuses()).toEqual([]);
  });

  it('ValidationPipe (transform: true) turns the payload into the DTO', async () => {
    await expect(nanite.request('/users/create', { name: 'ada', age: 36 })).resolves.toEqual({ created: 'ada', isDto: true });
  });

  it('ValidationPipe rejects a bad payload with NANITE_ERR_VALIDATION and the messages in data', async () => {
    const err = await nanite.request('/users/create', { name: 'x', age: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NaniteError);
    expect(err).toMatchObject({ code: 'NANITE_ERR_VALIDATION', retryable: false });
    const data = (err as NaniteError).data as { status: number; messages: string[] };
    expect(data.status).toBe(400);
    expect(data.messages).toEqual(expect.arrayContaining([
      'name must be longer than or equal to 2 characters',
      'age must not be less than 0',
    ]));
    expect((err as NaniteError).message).toContain('age must not be less than 0');
  });

  it('a guard returning false denies the call with NANITE_ERR_FORBIDDEN; the guard sees the nanite context', async () => {
    await expect(nanite.request('/users/secret', { allowed: false })).rejects.toMatchObject({
      code: 'NANITE_ERR_FORBIDDEN',
      data: expect.objectContaining({ status: 403 }),
    });
    await expect(nanite.request('/users/secret', { allowed: true })).resolves.toBe('secret for true');
    expect(agentApp.get(PayloadGuard).seen).toEqual([
      { type: 'nanite', route: '/users/secret', payload: { allowed: false } },
      { type: 'nanite', route: '/users/secret', payload: { allowed: true } },
    ]);
  });

  it('interceptors wrap the result', async () => {
    await expect(nanite.request('/users/wrapped', 21)).resolves.toEqual({ wrapped: 42 });
  });

  it('an exception filter can answer in place of the error', async () => {
    await expect(nanite.request('/users/teapot')).resolves.toEqual({ recoveredBy: 'TeapotFilter' });
  });
});

describe('global enhancers and error mapping', () => {
  const closer = new Closer();
  let bus: TestBus;

  @Injectable()
  @Actor('strict')
  class StrictActor {
    @Expose()
    create(@Payload() dto: CreateUserDto): string {
      return dto.name;
    }

    @Expose()
    fail(@Payload() kind: string): never {
      if (kind === 'nanite') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'bad kind', data: { kind } });
      const err = new Error('boom') as Error & { code: string };
      err.code = 'E_APP';
      throw err;
    }
  }

  beforeEach(() => {
    bus = new TestBus();
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
  });

  it('app.useGlobalPipes(new ValidationPipe()) applies to actor methods; thrown errors keep their code', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })],
      providers: [StrictActor],
    }).compile();
    // An application context has no useGlobalPipes; a (Fastify) Nest application does.
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const app = closer.add(moduleRef.createNestApplication(new FastifyAdapter(), { logger: false }));
    app.useGlobalPipes(new ValidationPipe());
    await app.init();
    const nanite = app.get(MapperService);
    await expect(nanite.request('/strict/create', { name: 'ok', age: 1 })).resolves.toBe('ok');
    await expect(nanite.request('/strict/create', { name: 'ok', age: 'x' })).rejects.toMatchObject({
      code: 'NANITE_ERR_VALIDATION',
      data: expect.objectContaining({ messages: ['age must not be less than 0', 'age must be an integer number'] }),
    });
    await expect(nanite.request('/strict/fail', 'nanite')).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: 'bad kind', data: { kind: 'nanite' } });
    await expect(nanite.request('/strict/fail', 'plain')).rejects.toMatchObject({
      code: 'NANITE_ERR_HANDLER',
      data: { name: 'Error', message: 'boom', code: 'E_APP' },
    });
  });
});
