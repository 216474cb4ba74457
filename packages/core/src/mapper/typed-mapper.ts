/**
 * Typed views of a mapper (and of `ctx` inside handlers): the same object, with `request`, `call`
 * and `push` that accept only the routes of a route map, check the payload and return the
 * handler's result type. Types only: `mapper.typed<Routes>()` returns the mapper itself.
 */
import type { ProgressArgs, ProgressMap, ProgressOf, PayloadOf, ResultOf, RouteMap, RouteName } from '../actor/route-map.types';
import type { RequestContext } from '../agent/request-context';
import type { Selector, SelectorFunction, SelectorName } from '../selectors/selector';
import type { Mapper } from './mapper';
import type { FanOut, MapperRequestOptions, PushOptions, Reply } from './mapper.options';
import type { SurveyRun } from './survey-run';
import type { SurveyOptions } from './survey.options';
import type { ResultStream } from './result-stream';
import type { StreamOptions } from './stream.options';

/** A selector that fans out: `'all'`, or a selector object declaring `fanOut: true`. */
export type FanOutSelector = 'all' | (Selector & { readonly fanOut: true });

/**
 * A selector that picks one agent: every built-in name but `'all'`, a selector function, or a
 * selector object that does not declare `fanOut: true`. (An object typed as the plain
 * {@link Selector}, whose `fanOut` is any boolean, is refused too: say `fanOut: false` or leave it out.)
 */
export type SingleAgentSelector = Exclude<SelectorName, 'all'> | SelectorFunction | (Selector & { readonly fanOut?: false });

/** Options of a typed `call()`: a fan-out selector is a compile error, as it is an error at run time. */
export type TypedCallOptions<O extends MapperRequestOptions, G extends ProgressMap> = Omit<TypedRequestOptions<O, G>, 'selector'> & {
  /** How to pick the one agent that answers (fan-out selectors are for `request()`). */
  selector?: SingleAgentSelector;
};

/** Request options with `onProgress` typed by the route's declared progress values. */
export type TypedRequestOptions<O extends MapperRequestOptions, G extends ProgressMap> = Omit<O, 'onProgress'> & {
  /** Intermediate values from the handler, in order; checking `key` narrows `value`. */
  onProgress?: (...args: ProgressArgs<G>) => void;
};

/** `payload` may be left out when the route accepts `undefined` (a handler without a payload parameter). */
export type RouteArgs<P, O> = undefined extends P ? [payload?: P, options?: O] : [payload: P, options?: O];

/**
 * A typed `request()`: a result, or one outcome per agent with a fan-out selector (`selector: 'all'`
 * or a selector object declaring `fanOut: true`).
 */
export interface TypedRequest<M extends RouteMap, O extends MapperRequestOptions = MapperRequestOptions> {
  request<K extends RouteName<M>>(
    route: K,
    payload: PayloadOf<M[K]>,
    options: TypedRequestOptions<O, ProgressOf<M[K]>> & { selector: FanOutSelector },
  ): Promise<FanOut<ResultOf<M[K]>>>;
  request<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, TypedRequestOptions<O, ProgressOf<M[K]>>>): Promise<ResultOf<M[K]>>;
}

/** A typed `call()`: the result with the agent that produced it; single-agent selectors only. */
export interface TypedCall<M extends RouteMap, O extends MapperRequestOptions = MapperRequestOptions> {
  call<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, TypedCallOptions<O, ProgressOf<M[K]>>>): Promise<Reply<ResultOf<M[K]>>>;
}

/** A typed `push()`: fire-and-forget. */
export interface TypedPush<M extends RouteMap, O extends PushOptions = PushOptions> {
  push<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, O>): Promise<void>;
}

/** A typed `survey()`: answers carry the route's result type. */
export interface TypedSurvey<M extends RouteMap> {
  survey<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, SurveyOptions>): SurveyRun<ResultOf<M[K]>>;
}


/** What one chunk of a route's result stream is: the items of an async iterable result, else the result itself (one chunk). */
export type ChunkOf<R> = R extends AsyncIterable<infer C> ? C : R;

/** A typed `stream()`: the route's chunks (docs/streams.md). */
export interface TypedStream<M extends RouteMap> {
  stream<K extends RouteName<M>>(route: K, ...args: RouteArgs<PayloadOf<M[K]>, StreamOptions>): ResultStream<ChunkOf<ResultOf<M[K]>>>;
}

/** What `mapper.typed<M>()` returns: the mapper, with its calls typed by `M`. */
export type TypedMapper<M extends RouteMap> = TypedRequest<M> & TypedCall<M> & TypedPush<M> & TypedSurvey<M> & TypedStream<M> & Omit<Mapper, 'request' | 'call' | 'push' | 'survey' | 'stream' | 'typed'>;

/** What `ctx.typed<M>()` returns inside a handler: the context, with its nested calls typed by `M`. */
export type TypedRequestContext<M extends RouteMap, G extends ProgressMap = ProgressMap> = TypedRequest<M> & TypedPush<M> & Omit<RequestContext<G>, 'request' | 'push' | 'typed'>;
