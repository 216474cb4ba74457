/** Direct mode wired through NaniteModule: `agent.listen` and `mapper.direct` reach core unchanged. */
import { SpReqSocket } from '@nanite/core';
import { Test } from '@nestjs/testing';
import { MapperService, NaniteModule, NaniteRuntime } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

describe('NaniteModule in direct mode', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  it('the hosted agent listens on SP, the mapper service calls it directly, and a plain SP REQ peer calls it too', async () => {
    const moduleRef = closer.add(await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), agent: { identity: 'nest-sp', listen: 'tcp://127.0.0.1:0' }, mapper: { discoveryWindow: 0, direct: true }, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    }).compile());
    await moduleRef.init();

    const endpoint = moduleRef.get(NaniteRuntime).agent?.endpoint;
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const service = moduleRef.get(MapperService);
    await service.waitForAgents({ route: '/calc/add', timeout: 2_000 });
    for (let i = 0; i < 3; i++) await expect(service.request<number>('/calc/add', [2, 3])).resolves.toBe(5);
    const req = closer.add(new SpReqSocket());
    req.dial(endpoint!);
    const reply = await req.request(Buffer.from('{"route":"/calc/add","payload":[4,5]}'), { timeout: 5_000 });
    expect(JSON.parse(reply.toString())).toEqual({ ok: true, result: 9 });
  });
});
