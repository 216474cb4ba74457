/** Discovery of @Actor() providers, DI inside actors, module options (forRoot, forRootAsync, isGlobal). */
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Actor, Expose, MapperService, NaniteModule, NaniteRuntime } from '../src';
import { ActorController, CalcActor, GreetingService, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

describe('NaniteModule discovery', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  async function boot(metadata: Parameters<typeof Test.createTestingModule>[0]): Promise<TestingModule> {
    const moduleRef = closer.add(await Test.createTestingModule(metadata).compile());
    await moduleRef.init();
    return moduleRef;
  }

  it('serves the exposed methods of @Actor() providers, bound to their DI instances', async () => {
    const app = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
      providers: [MathService, CalcActor, GreetingService],
    });
    const runtime = app.get(NaniteRuntime);
    expect(runtime.agent?.routes().sort()).toEqual(['/calc/add', '/calc/progress', '/calc/whoami', '/greeting_service/hello']);

    const nanite = app.get(MapperService);
    expect(nanite.isReady).toBe(true);
    await expect(nanite.request<number>('/calc/add', [2, 3])).resolves.toBe(5);
    expect(app.get(MathService).calls).toBe(1);
    await expect(nanite.request('/greeting_service/hello', { name: 'nest' })).resolves.toBe('hello nest');
    await expect(nanite.request('/calc/whoami', 'p')).resolves.toEqual({ payload: 'p', route: '/calc/whoami', hops: 0 });
    await expect(nanite.request('/calc/helper')).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
    const answers = await nanite.survey<number>('/calc/add', [1, 1], { timeout: 200 }).collect();
    expect(answers).toEqual([{ agent: runtime.agent?.identity, ok: true, result: 2, via: 'broker' }]);
  });

  it('waitForAgents, progress through @Ctx(), and call() telling which agent answered', async () => {
    const app = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    });
    const nanite = app.get(MapperService);
    const [agent] = await nanite.waitForAgents({ route: '/calc/add' });
    expect(agent!.routes).toContain('/calc/add');
    const steps: unknown[] = [];
    const result = await nanite.request('/calc/progress', { steps: 3 }, { onProgress: (key, value) => steps.push([key, value]) });
    expect(result).toBe('done');
    expect(steps).toEqual([['step', 1], ['step', 2], ['step', 3]]);
    const reply = await nanite.call<number>('/calc/add', [1, 1]);
    expect(reply).toEqual({ result: 2, agent: agent!.identity, attempts: 1 });
  });

  it('runs no agent when no actor is discovered, and serves actors from another app on the same bus', async () => {
    const agentApp = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), mapper: false, agent: { identity: 'calc-agent' }, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    });
    expect(agentApp.get(NaniteRuntime).mapper).toBeUndefined();
    const callerApp = await boot({ imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })] });
    expect(callerApp.get(NaniteRuntime).agent).toBeUndefined();
    const reply = await callerApp.get(MapperService).call<number>('/calc/add', [20, 22]);
    expect(reply).toMatchObject({ result: 42, agent: 'calc-agent' });
  });

  it('leaves @Actor() controllers alone unless controllers: true', async () => {
    const without = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent: {}, logger: new MemoryLogger() })],
      controllers: [ActorController],
    });
    expect(without.get(NaniteRuntime).agent?.routes()).toEqual([]);
    await without.close();

    const withControllers = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), controllers: true, logger: new MemoryLogger() })],
      controllers: [ActorController],
    });
    await expect(withControllers.get(MapperService).request('/ctl/ping')).resolves.toBe('pong');
  });

  it('forRootAsync takes imports, inject and useFactory; isGlobal makes MapperService injectable everywhere', async () => {
    const URL_TOKEN = 'NANITE_URL';
    @Module({ providers: [{ provide: URL_TOKEN, useValue: `memory://${bed.bus.name}-async` }], exports: [URL_TOKEN] })
    class ConfigModule {}

    @Injectable()
    class Consumer {
      constructor(@Inject(MapperService) readonly nanite: MapperService) {}
    }
    @Module({ providers: [Consumer], exports: [Consumer] })
    class FeatureModule {}

    const app = await boot({
      imports: [
        NaniteModule.forRootAsync({
          isGlobal: true,
          imports: [ConfigModule],
          inject: [URL_TOKEN],
          useFactory: (url: string) => ({ url, logger: new MemoryLogger() }),
        }),
        FeatureModule,
      ],
      providers: [MathService, CalcActor],
    });
    expect(app.get(NaniteRuntime).transport.url).toBe(`memory://${bed.bus.name}-async`);
    await expect(app.get(Consumer).nanite.request('/calc/add', [1, 2])).resolves.toBe(3);
  });

  it('fails the boot for a request-scoped actor and for two actors serving the same route', async () => {
    @Injectable({ scope: Scope.REQUEST })
    @Actor('scoped')
    class ScopedActor {
      @Expose() run(): string {
        return 'never';
      }
    }
    const scoped = closer.add(await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
      providers: [ScopedActor],
    }).compile());
    await expect(scoped.init()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('ScopedActor is request-scoped') });

    @Injectable()
    @Actor('calc')
    class OtherCalc {
      @Expose() add(): number {
        return 0;
      }
    }
    const twice = closer.add(await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
      providers: [MathService, CalcActor, OtherCalc],
    }).compile());
    await expect(twice.init()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('/calc/add is served twice') });
  });

  it('serves a provider exported under two tokens once', async () => {
    const app = await boot({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
      providers: [MathService, CalcActor, { provide: 'CALC_ALIAS', useExisting: CalcActor }],
    });
    expect(app.get(NaniteRuntime).agent?.routes()).toHaveLength(3);
  });

  it.each([
    ['neither', {}],
    ['both', { url: 'memory://x' }],
  ])('rejects options with %s of url and transport', async (_which, extra) => {
    const options = { logger: new MemoryLogger(), ...extra, ...(_which === 'both' ? { transport: bed.bus.transport() } : {}) };
    const compiled = Test.createTestingModule({ imports: [NaniteModule.forRoot(options)] }).compile();
    await expect(compiled).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: 'NaniteModule needs exactly one of `url` and `transport`' });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('a forRootAsync factory that returns %s fails the module with NANITE_ERR_INVALID_ARGUMENT asking for the options object', async (_label, returned) => {
    const compiled = Test.createTestingModule({ imports: [NaniteModule.forRootAsync({ useFactory: () => returned as never })] }).compile();
    await expect(compiled).rejects.toMatchObject({
      name: 'NaniteError',
      code: 'NANITE_ERR_INVALID_ARGUMENT',
      data: { option: 'options' },
      message: expect.stringContaining('factory (or useClass create()) must return it'),
    });
  });

  it.each([
    ['url: 5', { url: 5 }, 'url'],
    ["url: ''", { url: '' }, 'url'],
    ["agent: 'x'", { url: 'memory://never', agent: 'x' }, 'agent'],
    ['mapper: true', { url: 'memory://never', mapper: true }, 'mapper'],
  ])('%s fails the module with NANITE_ERR_INVALID_ARGUMENT naming the option', async (_label, options, option) => {
    const compiled = Test.createTestingModule({ imports: [NaniteModule.forRoot({ logger: new MemoryLogger(), ...(options as object) })] }).compile();
    await expect(compiled).rejects.toMatchObject({ name: 'NaniteError', code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } });
  });
});
