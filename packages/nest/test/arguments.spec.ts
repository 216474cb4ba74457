/** Mistaken arguments to MapperService: NANITE_ERR_INVALID_ARGUMENT naming the option, never a raw TypeError. */
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Actor, Expose, MapperService, NaniteModule } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

/** An actor passing a mistaken `signal` to a nested call. */
@Injectable()
@Actor('careless')
class CarelessActor {
  constructor(private readonly nanite: MapperService) {}

  @Expose()
  badSignal(): Promise<unknown> {
    return this.nanite.request('/calc/add', [1, 2], { signal: 'x' as never });
  }

  @Expose()
  goodSignal(): Promise<unknown> {
    return this.nanite.request('/calc/add', [1, 2], { signal: new AbortController().signal });
  }
}

describe('MapperService arguments', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  async function app(): Promise<MapperService> {
    const moduleRef = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), logger: new MemoryLogger() })],
        providers: [MathService, CalcActor, CarelessActor],
      }).compile(),
    );
    await moduleRef.init();
    return moduleRef.get(MapperService);
  }

  it('null options reject with NANITE_ERR_INVALID_ARGUMENT (option options) in request(), call() and push(), as core\'s mapper does', async () => {
    const nanite = await app();
    const invalid = { name: 'NaniteError', code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'options' } };
    await expect(nanite.request('/calc/add', [1, 2], null as never)).rejects.toMatchObject(invalid);
    await expect(nanite.call('/calc/add', [1, 2], null as never)).rejects.toMatchObject(invalid);
    await expect(nanite.push('/calc/add', [1, 2], null as never)).rejects.toMatchObject(invalid);
    await expect(nanite.request('/calc/add', [1, 2], 'fast' as never)).rejects.toMatchObject(invalid);
    // Left out (or undefined), they are still optional.
    await expect(nanite.request('/calc/add', [1, 2], undefined)).resolves.toBe(3);
    await expect(nanite.call('/calc/add', [1, 2])).resolves.toMatchObject({ result: 3 });
  });

  it('a parent that is not a RequestContext (nor false) rejects with NANITE_ERR_INVALID_ARGUMENT (option parent)', async () => {
    const nanite = await app();
    await expect(nanite.request('/calc/add', [1, 2], { parent: 'ctx' as never })).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'parent' } });
  });

  it('a signal that is not an AbortSignal in a nested call: the caller gets NANITE_ERR_INVALID_ARGUMENT (option signal), not a handler crash', async () => {
    const nanite = await app();
    await expect(nanite.request('/careless/badSignal')).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'signal' } });
    await expect(nanite.request('/careless/goodSignal')).resolves.toBe(3);
  });
});
