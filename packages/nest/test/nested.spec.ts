/** An actor injecting MapperService calls other actors: deadline, cancellation, trace id and hops travel along. */
import type { RequestContext } from '@nanite/core';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Actor, Ctx, Expose, MapperService, NaniteModule, Payload } from '../src';
import { CalcActor, FrontActor, MathService } from './fixtures';
import { deferred, MemoryLogger, useTestBed } from './helpers';

/** Records what the inner actor saw and waits for cancellation. */
@Injectable()
@Actor('inner')
class InnerActor {
  readonly seen: Array<{ traceId: string; hops: number; deadline: number }> = [];
  readonly aborted = deferred<unknown>();

  @Expose()
  look(@Ctx() ctx: RequestContext): { traceId: string; hops: number } {
    this.seen.push({ traceId: ctx.traceId, hops: ctx.hops, deadline: ctx.deadline });
    return { traceId: ctx.traceId, hops: ctx.hops };
  }

  @Expose()
  hang(@Ctx() ctx: RequestContext): Promise<never> {
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => {
        this.aborted.resolve(ctx.signal.reason);
        reject(ctx.signal.reason);
      }, { once: true });
    });
  }
}

@Injectable()
@Actor('outer')
class OuterActor {
  constructor(private readonly nanite: MapperService) {}

  @Expose()
  async chain(@Payload() detached: boolean, @Ctx() ctx: RequestContext): Promise<{ mine: string; inner: { traceId: string; hops: number } }> {
    const inner = await this.nanite.request<{ traceId: string; hops: number }>('/inner/look', null, detached ? { parent: false } : {});
    return { mine: ctx.traceId, inner };
  }

  @Expose()
  wait(): Promise<unknown> {
    return this.nanite.request('/inner/hang', null, { timeout: 60_000 });
  }

  @Expose()
  async viaCall(@Ctx() ctx: RequestContext): Promise<{ mine: string; inner: { traceId: string; hops: number }; agent: string }> {
    const { result, agent } = await this.nanite.call<{ traceId: string; hops: number }>('/inner/look');
    return { mine: ctx.traceId, inner: result, agent };
  }

  @Expose()
  waitCall(): Promise<unknown> {
    return this.nanite.call('/inner/hang', null, { timeout: 60_000 });
  }
}

/** An actor in an app with `mapper: false`: call() has no mapper to go through. */
@Injectable()
@Actor('lonely')
class LonelyActor {
  constructor(private readonly nanite: MapperService) {}
  @Expose()
  async viaRequest(): Promise<{ hops: number }> {
    return this.nanite.request<{ traceId: string; hops: number }>('/inner/look');
  }
  @Expose()
  viaCall(): Promise<unknown> {
    return this.nanite.call('/inner/look');
  }
}

/** Two actors calling each other forever: stopped by the hop limit. */
@Injectable()
@Actor('ping')
class PingActor {
  constructor(private readonly nanite: MapperService) {}
  @Expose()
  go(): Promise<unknown> {
    return this.nanite.request('/pong/go');
  }
}

@Injectable()
@Actor('pong')
class PongActor {
  constructor(private readonly nanite: MapperService) {}
  @Expose()
  go(): Promise<unknown> {
    return this.nanite.request('/ping/go');
  }
}

describe('nested calls from Nest actors', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  async function app(providers: Function[], maxHops?: number) {
    const moduleRef = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), mapper: { discoveryWindow: 50, ...(maxHops ? { maxHops } : {}) }, logger: new MemoryLogger() })],
        providers: providers as never[],
      }).compile(),
    );
    await moduleRef.init();
    return moduleRef;
  }

  it('an actor calls an actor in another app through MapperService (hops and trace id carried)', async () => {
    await app([MathService, CalcActor]);
    const front = await app([FrontActor]);
    const caller = await app([]);
    const nanite = caller.get(MapperService);
    await nanite.waitForAgents({ route: '/front/viaCalc' });
    await nanite.waitForAgents({ route: '/calc/add' });
    await expect(nanite.request('/front/viaCalc', [3, 4])).resolves.toEqual({ sum: 7, inner: { payload: null, route: '/calc/whoami', hops: 1 } });
    expect(front.get(FrontActor)).toBeInstanceOf(FrontActor);
  });

  it('carries the trace id and the deadline; parent: false makes an independent request', async () => {
    const inner = await app([InnerActor]);
    await app([OuterActor]);
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/outer/chain', count: 1 });
    await nanite.waitForAgents({ route: '/inner/look', count: 1 });
    const before = Date.now();
    const nested = await nanite.request<{ mine: string; inner: { traceId: string; hops: number } }>('/outer/chain', false, { timeout: 5_000, traceId: 'trace-1' });
    expect(nested).toEqual({ mine: 'trace-1', inner: { traceId: 'trace-1', hops: 1 } });
    const seen = inner.get(InnerActor).seen[0]!;
    expect(seen.deadline).toBeGreaterThanOrEqual(before + 4_000);
    expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 5_000);

    const detached = await nanite.request<{ mine: string; inner: { traceId: string; hops: number } }>('/outer/chain', true, { traceId: 'trace-2' });
    expect(detached.inner.hops).toBe(0);
    expect(detached.inner.traceId).not.toBe('trace-2');
  });

  it('the outer timeout aborts the nested handler', async () => {
    const inner = await app([InnerActor]);
    await app([OuterActor]);
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/outer/wait' });
    await nanite.waitForAgents({ route: '/inner/hang' });
    await expect(nanite.request('/outer/wait', null, { timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    // The nested handler's own (propagated) deadline and the outer cancellation fire at the same instant: either may win.
    await expect(inner.get(InnerActor).aborted.promise).resolves.toMatchObject({ code: expect.stringMatching(/^NANITE_ERR_(TIMEOUT|ABORTED)$/) });
  });

  it('call() nests like request(): trace id, hops and deadline carried, the outer timeout aborts the nested handler', async () => {
    const inner = await app([InnerActor]);
    await app([OuterActor]);
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/outer/viaCall' });
    await nanite.waitForAgents({ route: '/inner/look' });
    const before = Date.now();
    const nested = await nanite.request('/outer/viaCall', null, { timeout: 5_000, traceId: 'trace-call' });
    expect(nested).toEqual({ mine: 'trace-call', inner: { traceId: 'trace-call', hops: 1 }, agent: expect.any(String) });
    const seen = inner.get(InnerActor).seen[0]!;
    expect(seen.deadline).toBeGreaterThanOrEqual(before + 4_000);
    expect(seen.deadline).toBeLessThanOrEqual(Date.now() + 5_000);

    await expect(nanite.request('/outer/waitCall', null, { timeout: 100 })).rejects.toMatchObject({ code: 'NANITE_ERR_TIMEOUT' });
    await expect(inner.get(InnerActor).aborted.promise).resolves.toMatchObject({ code: expect.stringMatching(/^NANITE_ERR_(TIMEOUT|ABORTED)$/) });
  });

  it('mapper: false: request() nests through the agent, call() fails with a clear NANITE_ERR_NOT_STARTED', async () => {
    await app([InnerActor]);
    const lonely = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), mapper: false, logger: new MemoryLogger() })],
        providers: [LonelyActor],
      }).compile(),
    );
    await lonely.init();
    const nanite = (await app([])).get(MapperService);
    await nanite.waitForAgents({ route: '/lonely/viaCall' });
    await nanite.waitForAgents({ route: '/inner/look' });
    await expect(nanite.request('/lonely/viaRequest', null, { traceId: 'trace-lonely' })).resolves.toEqual({ traceId: 'trace-lonely', hops: 1 });
    await expect(nanite.request('/lonely/viaCall')).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_STARTED', message: expect.stringContaining('call() needs the module') });
  });

  it('a cycle of actors stops at the hop limit with NANITE_ERR_HOP_LIMIT', async () => {
    await app([PingActor], 3);
    await app([PongActor], 3);
    const nanite = (await app([], 3)).get(MapperService);
    await nanite.waitForAgents({ route: '/ping/go' });
    await nanite.waitForAgents({ route: '/pong/go' });
    await expect(nanite.request('/ping/go', null, { timeout: 5_000 })).rejects.toMatchObject({ code: 'NANITE_ERR_HOP_LIMIT' });
  });
});
