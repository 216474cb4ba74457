/** `agent` and `mapper` options given as instances (the same shapes @nanite/fastify takes). */
import { Agent, Mapper, type WaitForAgentsOptions } from '@nanite/core';
import { Test } from '@nestjs/testing';
import { MapperService, NaniteModule, NaniteRuntime } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

describe('NaniteModule with agent and mapper instances', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  it('serves the discovered actors on the given agent, dispatches with the given mapper, and leaves both running on close', async () => {
    const logger = new MemoryLogger();
    const agent = closer.add(new Agent({ transport: bed.bus.transport(), identity: 'my-agent', logger }));
    const mapper = closer.add(new Mapper({ transport: bed.bus.transport(), discoveryWindow: 0, logger }));
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent, mapper, logger })],
      providers: [MathService, CalcActor],
    }).compile();
    await moduleRef.init();

    const runtime = moduleRef.get(NaniteRuntime);
    expect(runtime.agent).toBe(agent);
    expect(runtime.mapper).toBe(mapper);
    expect(agent.isRunning && mapper.isRunning).toBe(true);
    const waitFor: WaitForAgentsOptions = { route: '/calc/add', timeout: 2_000 };
    await moduleRef.get(MapperService).waitForAgents(waitFor);
    await expect(moduleRef.get(MapperService).call<number>('/calc/add', [2, 3])).resolves.toEqual({ result: 5, agent: 'my-agent', attempts: 1 });

    await moduleRef.close();
    // Yours to close: the module neither stopped the agent nor closed the mapper.
    expect(agent.isRunning).toBe(true);
    expect(mapper.isRunning).toBe(true);
    await expect(mapper.request<number>('/calc/add', [1, 1])).resolves.toBe(2);
  });

  it('still takes options objects for both (unchanged)', async () => {
    const moduleRef = closer.add(await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent: { identity: 'from-options' }, mapper: { discoveryWindow: 0 }, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    }).compile());
    await moduleRef.init();

    expect(moduleRef.get(NaniteRuntime).agent?.identity).toBe('from-options');
    const service = moduleRef.get(MapperService);
    await expect(service.request<number>('/calc/add', [2, 2])).resolves.toBe(4);
    // The typed view costs nothing at run time: it is the service itself.
    expect(service.typed()).toBe(service);
  });
});
