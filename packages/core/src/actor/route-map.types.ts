/**
 * Type-level route maps: what a caller knows of every route (payload, result, progress values),
 * inferred from the actors' own handlers. Types only: nothing here exists at run time.
 *
 * ```ts
 * export type Routes = RoutesOf<[typeof Calc, typeof billing]>;
 * const api = mapper.typed<Routes>();
 * const sum = await api.request('/calc/add', [1, 2]); // number
 * ```
 */
import type { RequestContext } from '../agent/request-context';
import type { StandardSchemaV1 } from './standard-schema';

/** Progress values a handler sends, by key (`ctx.progress(key, value)`); any key and value unless declared. */
export type ProgressMap = Record<string, unknown>;

/** What a caller knows of one route. */
export interface RouteType<P = unknown, R = unknown, G extends ProgressMap = ProgressMap> {
  /** What the route accepts (a schema's input type when the route declares one). */
  payload: P;
  /** What its handler resolves with. */
  result: R;
  /** Its progress values by key, when the handler declares them with `RequestContext<{ key: Value }>`. */
  progress: G;
}

/** Routes (`/prefix/name`) to what a caller knows of them. */
export type RouteMap = { readonly [route: string]: RouteType };

/** The names of the routes of a map, as string literals (what the editor completes). */
export type RouteName<M extends RouteMap> = keyof M & string;

/** The payload type of one route. */
export type PayloadOf<T extends RouteType> = T['payload'];
/** The result type of one route. */
export type ResultOf<T extends RouteType> = T['result'];
/** The progress values of one route, by key. */
export type ProgressOf<T extends RouteType> = T['progress'];

/**
 * The argument list of `onProgress` for a route: one `[key, value, agent]` tuple per declared key,
 * so checking `key` narrows `value`.
 */
export type ProgressArgs<G extends ProgressMap> = { [K in keyof G & string]: [key: K, value: G[K], agent: string] }[keyof G & string];

/**
 * A handler as `defineActor()` accepts it: the payload parameter is checked both ways (a handler
 * may declare any payload type), the result is anything.
 */
export type AnyHandler = { bivarianceHack(payload: unknown, context: RequestContext): unknown }['bivarianceHack'];

/** A handler with options, as `defineActor()` accepts it. */
export interface AnyHandlerSpec {
  handler: AnyHandler;
  idempotent?: boolean;
  schema?: StandardSchemaV1;
}

/** Nest's and Nanite's lifecycle hooks: public methods of an actor class that are not routes. */
export type LifecycleHook =
  | 'onModuleInit' | 'onModuleDestroy' | 'onApplicationBootstrap' | 'beforeApplicationShutdown' | 'onApplicationShutdown';

// The ctx parameter may sit anywhere after the payload (Nest's @Ctx()); its type parameter declares the progress values.
type ProgressOfParams<A extends readonly unknown[]> = A extends readonly [unknown, ...infer Rest]
  ? FindContext<Rest>
  : ProgressMap;
type FindContext<A extends readonly unknown[]> = A extends readonly [infer H, ...infer Rest]
  ? (0 extends 1 & H ? FindContext<Rest> : H extends RequestContext<infer G> ? G : FindContext<Rest>)
  : ProgressMap;

/** The route type of a handler function: first parameter, awaited return, declared progress. */
export type RouteTypeOfHandler<F> = F extends (...args: infer A) => infer R
  ? RouteType<A extends readonly [] ? undefined : A[0], Awaited<R>, ProgressOfParams<A>>
  : never;

/** The route type of a `defineActor()` entry: a handler, or a spec whose schema (if any) gives the payload. */
export type RouteTypeOfSpec<S> = S extends { handler: infer F; schema: infer Schema extends StandardSchemaV1 }
  ? RouteType<StandardSchemaV1.InferInput<Schema>, RouteTypeOfHandler<F>['result'], RouteTypeOfHandler<F>['progress']>
  : S extends { handler: infer F } ? RouteTypeOfHandler<F> : RouteTypeOfHandler<S>;

/** The route map of `defineActor(prefix, handlers)`. */
export type HandlersRouteMap<P extends string, H> = { [K in keyof H & string as `/${P}/${K}`]: RouteTypeOfSpec<H[K]> };

/** Public methods of an actor instance that are routes (lifecycle hooks excluded). */
export type RouteMethodName<I> = {
  [K in keyof I & string]-?: I[K] extends (...args: never[]) => unknown ? (K extends LifecycleHook ? never : K) : never;
}[keyof I & string];

/**
 * The route map of an `@Actor()` class: its public methods under its static `prefix` (declare
 * `static readonly prefix = 'calc'`, which `@Actor()` reads too). Without one, routes are typed
 * `/${string}/method`. Keep helper methods private: the type system cannot see `@Expose()`.
 */
export type ClassRouteMap<C> = C extends abstract new (...args: never[]) => infer I
  ? { [K in RouteMethodName<I> as `/${C extends { readonly prefix: infer P extends string } ? P : string}/${K}`]: RouteTypeOfHandler<I[K]> }
  : never;

/**
 * The route map of one actor: `typeof` a `defineActor()` result, or `typeof` an `@Actor()` class.
 */
export type RouteMapOf<A> = A extends { readonly kind: 'nanite-actor'; readonly '~routes'?: infer M extends RouteMap } ? M : ClassRouteMap<A>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Merge<T extends readonly unknown[]> = T extends readonly [infer H, ...infer Rest] ? RouteMapOf<H> & Merge<Rest> : unknown;

/**
 * One route map for several actors: `type Routes = RoutesOf<[typeof Calc, typeof billing]>`.
 * Export it from the package that defines the actors; callers import the type only.
 */
export type RoutesOf<T extends readonly unknown[]> = Simplify<Merge<T>>;
