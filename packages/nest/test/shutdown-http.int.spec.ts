/**
 * Shutdown of an HTTP app (Fastify on a real loopback socket, hence an integration spec; no broker):
 * the HTTP server drains before the mapper closes.
 */
import { Controller, Get, Module } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { MapperService, NaniteModule, NaniteRuntime } from '../src';
import { deferred, MemoryLogger, useTestBed } from './helpers';
import { Journal, slowAgentApp, until } from './shutdown.fixtures';

describe('graceful shutdown of an HTTP app', () => {
  const bed = useTestBed();
  const closer = bed.closer;
  let journal: Journal;

  beforeEach(() => {
    journal = new Journal();
  });

  const agentApp = (agent: { drainTimeout?: number } = {}): Promise<TestingModule> => slowAgentApp(bed, journal, agent);

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
    @Module({ imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })], controllers: [LateController] })
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
