/**
 * Type tests of route maps and typed views, checked by types.spec.ts with the TypeScript compiler
 * (and by `turbo run typecheck`). Each `@ts-expect-error` must meet an error, so misuse that starts
 * compiling fails the test too.
 */
import { expectTypeOf } from 'expect-type';
import { z } from 'zod';
import {
  Actor, AllSelector, Expose, Mapper, defineActor, withSchema,
  type AgentView, type FanOut, type Reply, type RequestContext, type RouteMapOf, type RoutesOf, type RouteType, type StandardSchemaV1, type SurveyAnswer, type TypedMapper,
} from '../../src';

// ---- actors ------------------------------------------------------------------------------------
@Actor()
export class Calc {
  static readonly prefix = 'calc';

  @Expose({ idempotent: true })
  add(pair: [number, number]): number {
    return pair[0] + pair[1];
  }

  @Expose()
  async ratio(p: { a: number; b: number }, ctx: RequestContext<{ step: number; note: string }>): Promise<number> {
    ctx.progress('step', 1);
    // @ts-expect-error -- a declared progress key takes its declared value type
    ctx.progress('step', 'one');
    // @ts-expect-error -- undeclared progress key
    ctx.progress('other', 1);
    return p.a / p.b;
  }

  @Expose()
  now(): Date {
    return new Date();
  }

  private helper(): void {
    // private: not a route
  }
}

export const billing = defineActor('billing', {
  charge: (p: { order: number }) => ({ charged: p.order, currency: 'EUR' as const }),
  refund: { idempotent: true, handler: async (p: { order: number; reason?: string }) => p.reason !== undefined },
  ping: () => 'pong',
  card: withSchema(z.object({ number: z.string().min(12), cvc: z.coerce.number() }), (p) => {
    expectTypeOf(p).toEqualTypeOf<{ number: string; cvc: number }>();
    return p.number.slice(-4);
  }),
  // Calls into the same map need an annotated return type (the map is inferred from this handler).
  nested: async (p: string, ctx: RequestContext): Promise<number> => {
    const api = ctx.typed<Routes>();
    const sum = await api.request('/calc/add', [1, 2]);
    expectTypeOf(sum).toEqualTypeOf<number>();
    const all = await api.request('/billing/ping', undefined, { selector: 'all' });
    expectTypeOf(all).toEqualTypeOf<FanOut<string>>();
    await api.push('/billing/charge', { order: 1 });
    // @ts-expect-error -- nested calls know the routes too
    await api.request('/calc/sub', [1, 2]);
    // @ts-expect-error -- and the payloads
    await api.push('/billing/charge', { order: '1' });
    expectTypeOf(api.traceId).toEqualTypeOf<string>();
    return p.length + sum;
  },
});

// The untyped forms keep working: unannotated handlers get `unknown` payloads.
const loose = defineActor('loose', { echo: (p) => p ?? 'hello', spec: { handler: (p, ctx) => [p, ctx.route] } });
expectTypeOf(loose.routes).toEqualTypeOf<readonly import('../../src').ActorRoute[]>();

export type Routes = RoutesOf<[typeof Calc, typeof billing]>;

// ---- route maps --------------------------------------------------------------------------------
expectTypeOf<keyof Routes>().toEqualTypeOf<
  '/calc/add' | '/calc/ratio' | '/calc/now' | '/billing/charge' | '/billing/refund' | '/billing/ping' | '/billing/card' | '/billing/nested'
>();
expectTypeOf<Routes['/calc/add']>().toEqualTypeOf<RouteType<[number, number], number, Record<string, unknown>>>();
expectTypeOf<Routes['/calc/ratio']['progress']>().toEqualTypeOf<{ step: number; note: string }>();
expectTypeOf<Routes['/calc/now']['payload']>().toEqualTypeOf<undefined>();
expectTypeOf<Routes['/billing/charge']>().toEqualTypeOf<RouteType<{ order: number }, { charged: number; currency: 'EUR' }, Record<string, unknown>>>();
expectTypeOf<Routes['/billing/refund']['result']>().toEqualTypeOf<boolean>();
// A schema route: callers send the schema's input (z.coerce accepts unknown), the handler gets its output.
expectTypeOf<Routes['/billing/card']['payload']>().toEqualTypeOf<{ number: string; cvc: unknown }>();
expectTypeOf<Routes['/billing/card']['result']>().toEqualTypeOf<string>();
expectTypeOf<RouteMapOf<typeof billing>>().toHaveProperty('/billing/ping');
expectTypeOf(billing.prefix).toEqualTypeOf<'billing'>();

// ---- typed mapper ------------------------------------------------------------------------------
declare const mapper: Mapper;
const api = mapper.typed<Routes>();
expectTypeOf(api).toEqualTypeOf<TypedMapper<Routes>>();

async function calls(): Promise<void> {
  expectTypeOf(await api.request('/calc/add', [1, 2])).toEqualTypeOf<number>();
  expectTypeOf(await api.request('/calc/add', [1, 2], { timeout: 1_000 })).toEqualTypeOf<number>();
  expectTypeOf(await api.request('/billing/charge', { order: 7 })).toEqualTypeOf<{ charged: number; currency: 'EUR' }>();
  expectTypeOf(await api.request('/billing/ping')).toEqualTypeOf<string>();
  expectTypeOf(await api.call('/billing/refund', { order: 7 })).toEqualTypeOf<Reply<boolean>>();
  expectTypeOf(api.push('/billing/charge', { order: 7 }, { selector: 'all' })).toEqualTypeOf<Promise<void>>();

  // Surveys: answers carry the route's result type; unknown routes and wrong payloads do not compile.
  for await (const a of api.survey('/calc/add', [1, 2], { timeout: 500 })) {
    expectTypeOf(a.agent).toEqualTypeOf<string>();
    if (a.ok) expectTypeOf(a.result).toEqualTypeOf<number>();
  }
  expectTypeOf(api.survey('/billing/ping').collect()).toEqualTypeOf<Promise<SurveyAnswer<string>[]>>();
  // @ts-expect-error -- not a route of the map
  api.survey('/calc/nope', 1);
  // @ts-expect-error -- the payload of /calc/add is a pair of numbers
  api.survey('/calc/add', 'x');

  // Fan-out: one outcome per agent, as the mapper returns it.
  const all = await api.request('/calc/add', [1, 2], { selector: 'all', timeout: 500 });
  expectTypeOf(all).toEqualTypeOf<FanOut<number>>();
  for (const outcome of Object.values(all)) if (outcome.ok) expectTypeOf(outcome.result).toEqualTypeOf<number>();

  // A selector object declaring `fanOut: true` fans out too, and is typed so.
  const everyOther = { fanOut: true as const, select: (c: readonly AgentView[]) => c.filter((_, i) => i % 2 === 0) };
  expectTypeOf(await api.request('/calc/add', [1, 2], { selector: everyOther })).toEqualTypeOf<FanOut<number>>();
  expectTypeOf(await api.request('/calc/add', [1, 2], { selector: new AllSelector() })).toEqualTypeOf<FanOut<number>>();
  // call() takes single-agent selectors: names, functions, objects without `fanOut: true`.
  expectTypeOf(await api.call('/calc/add', [1, 2], { selector: 'round_robin' })).toEqualTypeOf<Reply<number>>();
  expectTypeOf(await api.call('/calc/add', [1, 2], { selector: (c) => c[0] })).toEqualTypeOf<Reply<number>>();
  expectTypeOf(await api.call('/calc/add', [1, 2], { selector: { select: (c) => c.slice(0, 1) } })).toEqualTypeOf<Reply<number>>();
  // @ts-expect-error -- call() with selector 'all' fails at run time (NANITE_ERR_INVALID_ARGUMENT): a compile error
  await api.call('/calc/add', [1, 2], { selector: 'all' });
  // @ts-expect-error -- and so does a selector object declaring fanOut: true
  await api.call('/calc/add', [1, 2], { selector: everyOther });
  // @ts-expect-error -- the built-in AllSelector is one of them
  await api.call('/calc/add', [1, 2], { selector: new AllSelector() });

  // Progress values, narrowed by key.
  await api.request('/calc/ratio', { a: 1, b: 2 }, {
    onProgress: (key, value, agent) => {
      expectTypeOf(agent).toEqualTypeOf<string>();
      if (key === 'step') expectTypeOf(value).toEqualTypeOf<number>();
      else expectTypeOf(value).toEqualTypeOf<string>();
    },
  });

  // The rest of the mapper is still there.
  expectTypeOf(api.agents).toEqualTypeOf<Mapper['agents']>();
  expectTypeOf(api.close).toEqualTypeOf<Mapper['close']>();

  // @ts-expect-error -- unknown route
  await api.request('/calc/sub', [1, 2]);
  // @ts-expect-error -- unknown route on call()
  await api.call('/billing/void', { order: 1 });
  // @ts-expect-error -- unknown route on push()
  await api.push('/nowhere');
  // @ts-expect-error -- wrong payload type
  await api.request('/calc/add', ['1', 2]);
  // @ts-expect-error -- wrong payload shape
  await api.request('/billing/charge', { orderId: 7 });
  // @ts-expect-error -- a payload is required here
  await api.request('/billing/charge');
  // @ts-expect-error -- wrong payload on push()
  await api.push('/billing/refund', { order: 'x' });
  // @ts-expect-error -- a schema route takes the schema's input
  await api.request('/billing/card', { number: 1234 });
  // @ts-expect-error -- the result is a number, not a string
  const s: string = await api.request('/calc/add', [1, 2]);
  // @ts-expect-error -- a fan-out result is a map of outcomes, not a number
  const n: number = await api.request('/calc/add', [1, 2], { selector: 'all' });
  // @ts-expect-error -- call() results are wrapped in a Reply
  const r: boolean = await api.call('/billing/refund', { order: 7 });
  // @ts-expect-error -- progress keys are the declared ones
  await api.request('/calc/ratio', { a: 1, b: 2 }, { onProgress: (key: 'nope') => key });
  void [s, n, r];
}
void calls;

// ---- decorator-free and decorated actors give the same map -------------------------------------
@Actor('shop')
export class ShopClass {
  static readonly prefix = 'shop';
  @Expose() buy(p: { sku: string }, ctx: RequestContext): Promise<number> {
    return Promise.resolve(p.sku.length + ctx.hops);
  }
  onModuleInit(): void {
    // a lifecycle hook, not a route
  }
}
export const shopDef = defineActor('shop', { buy: async (p: { sku: string }, ctx: RequestContext) => p.sku.length + ctx.hops });
expectTypeOf<RouteMapOf<typeof ShopClass>>().toEqualTypeOf<RouteMapOf<typeof shopDef>>();

// A class without a static prefix: routes are typed, the prefix is not.
@Actor()
export class NoPrefix {
  @Expose() go(p: number): number {
    return p;
  }
}
expectTypeOf<RouteMapOf<typeof NoPrefix>>().toEqualTypeOf<{ [route: `/${string}/go`]: RouteType<number, number, Record<string, unknown>> }>();

// ---- a class route with a schema: the payload type is the method's annotation ------------------
// Types cannot see `@Expose({ schema })`; annotating the parameter with the schema's output is the
// recommended pattern (it keeps the type and the runtime check from drifting).
const OrderSchema = z.object({ sku: z.string(), qty: z.number().int() });
@Actor()
export class Orders {
  static readonly prefix = 'orders';
  @Expose({ schema: OrderSchema })
  place(p: StandardSchemaV1.InferOutput<typeof OrderSchema>): string {
    return `${p.qty} x ${p.sku}`;
  }
  @Expose({ schema: OrderSchema })
  unannotated(p: unknown): unknown {
    return p;
  }
}
expectTypeOf<RouteMapOf<typeof Orders>['/orders/place']['payload']>().toEqualTypeOf<{ sku: string; qty: number }>();
// Without the annotation the schema does not narrow the caller's type:
expectTypeOf<RouteMapOf<typeof Orders>['/orders/unannotated']['payload']>().toEqualTypeOf<unknown>();
declare const orders: TypedMapper<RouteMapOf<typeof Orders>>;
async function orderCalls(): Promise<void> {
  expectTypeOf(await orders.request('/orders/place', { sku: 'a', qty: 1 })).toEqualTypeOf<string>();
  // @ts-expect-error -- the annotated payload is checked
  await orders.request('/orders/place', { sku: 'a', qty: '1' });
}
void orderCalls;
