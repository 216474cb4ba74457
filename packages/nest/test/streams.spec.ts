/** Actor methods that stream: an Observable or an async iterable, read through MapperService.stream(). */
import { Test, type TestingModule } from '@nestjs/testing';
import { interval, map, of, range, take, throwError, concat } from 'rxjs';
import { NaniteError, type RequestContext } from '@nanite/core';
import { Actor, Ctx, Expose, MapperService, NaniteModule, Payload } from '../src';
import { MAX_OBSERVABLE_BUFFER } from '../src/observable-stream';
import { Closer, MemoryLogger, TestBus } from './helpers';

@Actor('files')
class FilesActor {
  @Expose()
  ticks(@Payload() n: number) {
    return interval(1).pipe(take(n), map((i) => ({ i })));
  }

  @Expose()
  letters() {
    return of('a', 'b', 'c');
  }

  @Expose()
  broken() {
    return concat(of(1), throwError(() => new NaniteError('NANITE_ERR_VALIDATION', { message: 'bad second value' })));
  }

  /** Synchronous and endless: every value is pushed inside subscribe(). */
  @Expose()
  endless() {
    return range(0, Number.POSITIVE_INFINITY);
  }

  @Expose()
  async *lines(@Payload() n: number, @Ctx() ctx: RequestContext) {
    for (let i = 0; i < n && !ctx.signal.aborted; i++) yield `line ${i}`;
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe('streaming actor methods (Nest)', () => {
  let bus: TestBus;
  let app: TestingModule;
  let nanite: MapperService;
  const closer = new Closer();

  beforeEach(async () => {
    bus = new TestBus();
    app = closer.add(await Test.createTestingModule({ imports: [NaniteModule.forRoot({ transport: bus.transport(), logger: new MemoryLogger() })], providers: [FilesActor] }).compile());
    await app.init();
    nanite = app.get(MapperService);
    await nanite.waitForAgents({ route: '/files/ticks', timeout: 2_000 });
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
  });

  it('an Observable streams its values', async () => {
    expect(await collect(nanite.stream('/files/ticks', 5))).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }, { i: 4 }]);
    expect(await collect(nanite.stream('/files/letters'))).toEqual(['a', 'b', 'c']);
  });

  it("an Observable's error ends the stream with that error after its values", async () => {
    const got: unknown[] = [];
    await expect((async () => {
      for await (const v of nanite.stream('/files/broken')) got.push(v);
    })()).rejects.toMatchObject({ code: 'NANITE_ERR_VALIDATION', message: 'bad second value' });
    expect(got).toEqual([1]);
  });

  it('an async generator method streams', async () => {
    expect(await collect(nanite.stream('/files/lines', 3))).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('a synchronous endless Observable fails its stream with NANITE_ERR_STREAM once it ran the bound ahead, and the app keeps serving (it used to spin forever inside subscribe)', async () => {
    let read = 0;
    await expect((async () => {
      for await (const _ of nanite.stream('/files/endless')) read++;
    })()).rejects.toMatchObject({ code: 'NANITE_ERR_STREAM' });
    expect(read).toBeLessThanOrEqual(MAX_OBSERVABLE_BUFFER);
    expect(await collect(nanite.stream('/files/letters'))).toEqual(['a', 'b', 'c']);
  });
});
