/** Graceful shutdown: in-flight work completes, the agent unregisters, nothing is left open, in Nest's hook order. */
import type { RequestContext } from '@nanite/core';
import {
  Controller, Get, Injectable, Module,
  type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleDestroy,
} from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { Actor, Ctx, Expose, MapperService, NaniteModule, NaniteRuntime } from '../src';
import { Closer, deferred, MemoryLogger, TestBus } from './helpers';

/** Shared between the apps of one test: what happened, in order. */
class Journal {
  readonly events: string[] = [];
  readonly started = deferred();
  readonly release = deferred();
}

/** A resource the actor uses; it closes in onApplicationShutdown, after the agent has drained. */
@Injectable()
class Database implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  open = true;
  constructor(readonly journal: Journal) {}
  query(): string {
    if (!this.open) throw new Error('database closed');
    return 'row';
  }
  onModuleDestroy(): void {
    this.journal.events.push('db:onModuleDestroy');
  }
  beforeApplicationShutdown(): void {
    this.journal.events.push('db:beforeApplicationShutdown');
  }
  onApplicationShutdown(): void {
    this.journal.events.push('db:onApplicationShutdown');
    this.open = false;
  }
}

@Injectable()
@Actor('slow')
class SlowActor {
  constructor(private readonly db: Database, private readonly journal: Journal) {}

  @Expose()
  async work(): Promise<string> {
    this.journal.events.push('handler:start');
    this.journal.started.resolve();
    await this.journal.release.promise;
    const row = this.db.query();
    this.journal.events.push('handler:end');
    return row;
  }

  @Expose()
  stuck(_payload: unknown, @Ctx() ctx: RequestContext): Promise<never> {
    this.journal.started.resolve();
    return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
  }
}

/** Polls (bounded) until `check` holds: for state that another app changes without an event to await. */
async function until(check: () => boolean, what: string, limit = 2_000): Promise<void> {
  const end = Date.now() + limit;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('graceful shutdown', () => {
  const closer = new Closer();
  let bus: TestBus;
  let journal: Journal;

  beforeEach(() => {
    bus = new TestBus();
    journal = new Journal();
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
    expect(bus.openBuses()).toEqual([]);
  });

  async function agentApp(agent: { drainTimeout?: number } = {}): Promise<TestingModule> {
    const moduleRef = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bus.transport(), mapper: false, agent: { identity: 'slow-agent', ...agent }, logger: new MemoryLogger() })],
        providers: [{ provide: Journal, useValue: journal }, Database, SlowActor],
      }).compile(),
    );
    await moduleRef.init();
    return moduleRef;
  }

  async function callerApp(): Promise<MapperService> {
    const moduleRef = closer.add(await Test.createTestingModule({ imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })] }).compile());
    await moduleRef.init();
    const nanite = moduleRef.get(MapperService);
    await nanite.waitForAgents({ route: '/slow/work' });
    return nanite;
  }

  it('app.close() with a request in flight: no new work, the handler completes, then the agent unregisters', async () => {
    const agent = await agentApp();
    const nanite = await callerApp();
    const inFlight = nanite.request<string>('/slow/work');
    await journal.started.promise;

    const closing = agent.close();
    const runtime = agent.get(NaniteRuntime);
    await until(() => runtime.agent?.isRunning === false, 'the agent to stop taking work');
    // A new request is not delivered to the draining agent: it fails at once instead of hanging.
    await expect(nanite.request('/slow/work', null, { timeout: 1_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });

    journal.release.resolve();
    await expect(inFlight).resolves.toBe('row');
    await closing;
    // UnRegister reached the caller's mapper.
    expect(nanite.agents()).toEqual([]);
    expect(runtime.state).toBe('stopped');
    expect(runtime.agent?.inFlight).toBe(0);
    // Nest runs every onModuleDestroy, then every beforeApplicationShutdown (the agent drains in the
    // module's), then every onApplicationShutdown: a resource closed there is still open during the drain.
    expect(journal.events).toEqual([
      'handler:start',
      'db:onModuleDestroy',
      'db:beforeApplicationShutdown',
      'handler:end',
      'db:onApplicationShutdown',
    ]);
  });

  it('a handler still running after drainTimeout is aborted and its caller gets NANITE_ERR_SHUTTING_DOWN', async () => {
    const agent = await agentApp({ drainTimeout: 50 });
    const nanite = await callerApp();
    const inFlight = nanite.request('/slow/stuck');
    await journal.started.promise;
    await agent.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
  });

  it('the HTTP server drains before the mapper closes: a request that calls an actor late in shutdown still succeeds', async () => {
    await agentApp();
    const gate = deferred();
    const entered = deferred();

    @Controller()
    class LateController {
      constructor(private readonly nanite: MapperService) {}
      @Get('late')
      async late(): Promise<{ row: string }> {
        entered.resolve();
        await gate.promise;
        return { row: await this.nanite.request<string>('/slow/work') };
      }
    }
    @Module({ imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })], controllers: [LateController] })
    class HttpModule {}

    const moduleRef = await Test.createTestingModule({ imports: [HttpModule] }).compile();
    const http = closer.add(moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false }));
    await http.init();
    await http.get(MapperService).waitForAgents({ route: '/slow/work' });
    await http.listen(0, '127.0.0.1');
    // `connection: close`: an idle keep-alive socket would hold Fastify's close() until its keep-alive timeout.
    const response = fetch(`${await http.getUrl()}/late`, { headers: { connection: 'close' } }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    await entered.promise;

    const runtime = http.get(NaniteRuntime);
    const closing = http.close();
    // Past beforeApplicationShutdown (the module is stopping) and the HTTP server is draining:
    // only now does the route call the actor, which needs the mapper still open.
    await until(() => runtime.state === 'stopping', 'the module to start stopping');
    journal.release.resolve();
    gate.resolve();
    await expect(response).resolves.toEqual({ status: 200, body: { row: 'row' } });
    await closing;
    expect(runtime.state).toBe('stopped');
  });
});
