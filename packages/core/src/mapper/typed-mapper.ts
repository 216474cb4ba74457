/**
 * Typed views of a mapper (and of `ctx` inside handlers): the same object, with `request`, `call`
 * and `push` that accept only the routes of a route map, check the payload and return the
 * handler's result type. Types only: `mapper.typed<Routes>()` returns the mapper itself.
 */
import type { ProgressArgs, ProgressMap, ProgressOf, PayloadOf, ResultOf, RouteMap, RouteName } from '../actor/route-map.types';
import type { RequestContext } from '../agent/request-context';
import type { Mapper } from './mapper';
import type { FanOut, MapperRequestOptions, PushOptions, Reply } from './mapper.options';

/** Request options with `onProgress` typed by the route's declared progress values. */
export type TypedRequestOptions<O extends MapperRequestOptions, G extends ProgressMap> = Omit<O, 'onProgress'> & {
  /** Intermediate values from the handler, in order; checking `key` narrows `value`. */
  onProgress?: (...args: ProgressArgs<G>) => void;
};

/** `payload` may be left out when the route accepts `undefined` (a handler without a payload parameter). */
export type RouteArgs<P, O> = undefined extends P ? [payload?: P, options?: O] : [payload: P, options?: O];

/** A typed `request()`: a result, or one outcome per agent with `selector: 'all'`. */
export interface TypedRequest<M extends RouteMap, O extends MapperRequestOptions = MapperRequestOptions> {
  request<K extends RouteName<M>>(
    route: K,
    payload: PayloadOf<M[K]>,
    options: TypedRequestOptions<O, ProgressOf<M[K]>> & { selector: 'all' },
  ): Promise<FanOut<ResultOf<M[K]>>>;
  request<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, TypedRequestOptions<O, ProgressOf<M[K]>>>): Promise<ResultOf<M[K]>>;
}

/** A typed `call()`: the result with the agent that produced it. */
export interface TypedCall<M extends RouteMap, O extends MapperRequestOptions = MapperRequestOptions> {
  call<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, TypedRequestOptions<O, ProgressOf<M[K]>>>): Promise<Reply<ResultOf<M[K]>>>;
}

/** A typed `push()`: fire-and-forget. */
export interface TypedPush<M extends RouteMap, O extends PushOptions = PushOptions> {
  push<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, O>): Promise<void>;
}

/** What `mapper.typed<M>()` returns: the mapper, with its calls typed by `M`. */
export type TypedMapper<M extends RouteMap> = TypedRequest<M> & TypedCall<M> & TypedPush<M> & Omit<Mapper, 'request' | 'call' | 'push' | 'typed'>;

/** What `ctx.typed<M>()` returns inside a handler: the context, with its nested calls typed by `M`. */
export type TypedRequestContext<M extends RouteMap, G extends ProgressMap = ProgressMap> = TypedRequest<M> & TypedPush<M> & Omit<RequestContext<G>, 'request' | 'push' | 'typed'>;
