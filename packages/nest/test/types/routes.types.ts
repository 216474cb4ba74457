/**
 * Type tests of typed views in Nest: decorated providers give the same route map as plain
 * defineActor objects, and MapperService.typed() / ctx.typed() check routes, payloads and results.
 */
import { defineActor, type FanOut, type Reply, type RouteMapOf, type RoutesOf } from '@nanite/core';
import { Injectable } from '@nestjs/common';
import { expectTypeOf } from 'expect-type';
import { Actor, Ctx, Expose, MapperService, Payload, type TypedMapperService } from '../../src';
import type { RequestContext } from '@nanite/core';

@Injectable()
class TaxService {
  rate(): number {
    return 0.2;
  }
}

@Injectable()
@Actor()
export class PricingActor {
  static readonly prefix = 'pricing';

  constructor(private readonly tax: TaxService, private readonly nanite: MapperService) {}

  @Expose({ idempotent: true })
  quote(@Payload() p: { sku: string; qty: number }, @Ctx() ctx: RequestContext<{ priced: number }>): { total: number } {
    ctx.progress('priced', p.qty);
    return { total: p.qty * (1 + this.tax.rate()) };
  }

  @Expose()
  async restock(@Payload() sku: string): Promise<void> {
    // Nested calls through the typed service: the same map, checked.
    const api = this.nanite.typed<RoutesOf<[typeof stock]>>();
    const level = await api.request('/stock/level', { sku });
    expectTypeOf(level).toEqualTypeOf<number>();
    // @ts-expect-error -- unknown route
    await api.request('/stock/levels', { sku });
  }

  onModuleInit(): void {
    // a Nest lifecycle hook: not a route
  }
}

/** The same routes without Nest. */
export const pricing = defineActor('pricing', {
  quote: (p: { sku: string; qty: number }, ctx: RequestContext<{ priced: number }>): { total: number } => {
    ctx.progress('priced', p.qty);
    return { total: p.qty };
  },
  restock: async (sku: string): Promise<void> => {
    void sku;
  },
});

export const stock = defineActor('stock', { level: (p: { sku: string }) => p.sku.length });

expectTypeOf<RouteMapOf<typeof PricingActor>>().toEqualTypeOf<RouteMapOf<typeof pricing>>();

export type Routes = RoutesOf<[typeof PricingActor, typeof stock]>;

export async function useService(nanite: MapperService, parent: RequestContext): Promise<void> {
  const api = nanite.typed<Routes>();
  expectTypeOf(api).toEqualTypeOf<TypedMapperService<Routes>>();
  expectTypeOf(await api.request('/pricing/quote', { sku: 'a', qty: 2 }, { timeout: 500 })).toEqualTypeOf<{ total: number }>();
  expectTypeOf(await api.request('/pricing/quote', { sku: 'a', qty: 2 }, { selector: 'all', parent: false })).toEqualTypeOf<FanOut<{ total: number }>>();
  expectTypeOf(await api.call('/stock/level', { sku: 'a' }, { parent })).toEqualTypeOf<Reply<number>>();
  expectTypeOf(api.push('/pricing/restock', 'a')).toEqualTypeOf<Promise<void>>();
  expectTypeOf(api.isReady).toEqualTypeOf<boolean>();
  await api.request('/pricing/quote', { sku: 'a', qty: 2 }, {
    onProgress: (key, value) => {
      expectTypeOf(key).toEqualTypeOf<'priced'>();
      expectTypeOf(value).toEqualTypeOf<number>();
    },
  });

  // @ts-expect-error -- lifecycle hooks are not routes
  await api.request('/pricing/onModuleInit');
  // @ts-expect-error -- wrong payload
  await api.request('/pricing/quote', { sku: 'a' });
  // @ts-expect-error -- wrong payload on push
  await api.push('/pricing/restock', 42);
  // @ts-expect-error -- misused result
  const total: string = (await api.request('/pricing/quote', { sku: 'a', qty: 2 })).total;
  // @ts-expect-error -- MapperService options stay checked
  await api.request('/stock/level', { sku: 'a' }, { parent: 'nope' });
  void total;

  // ctx.typed() inside a handler, as core's.
  const nested = parent.typed<Routes>();
  expectTypeOf(await nested.request('/stock/level', { sku: 'a' })).toEqualTypeOf<number>();
  // @ts-expect-error -- nested calls check payloads
  await nested.request('/stock/level', 'a');
}
