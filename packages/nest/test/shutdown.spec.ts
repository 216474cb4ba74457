/** Graceful shutdown: in-flight work completes, the agent unregisters, nothing is left open, in Nest's hook order. */
import { Test, type TestingModule } from '@nestjs/testing';
import { MapperService, NaniteModule, NaniteRuntime } from '../src';
import { MemoryLogger, useTestBed } from './helpers';
import { Journal, slowAgentApp, until } from './shutdown.fixtures';

describe('graceful shutdown', () => {
  const bed = useTestBed();
  const closer = bed.closer;
  let journal: Journal;

  beforeEach(() => {
    journal = new Journal();
  });

  const agentApp = (agent: { drainTimeout?: number } = {}): Promise<TestingModule> => slowAgentApp(bed, journal, agent);

  async function callerApp(): Promise<MapperService> {
    const moduleRef = closer.add(await Test.createTestingModule({ imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })] }).compile());
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
    // A new request is not run by the draining agent (it hands it back): it waits the mapper's
    // failover window (2 s) for another agent, then fails with a clear code instead of hanging.
    await expect(nanite.request('/slow/work', null, { timeout: 10_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });

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
});
