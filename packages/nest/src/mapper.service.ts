/** MapperService: the app's mapper, injectable anywhere, aware of the actor call it runs in. */
import {
  NaniteError,
  type AgentView, type FanOut, type Mapper, type MapperRequestOptions, type PushOptions, type Reply, type RequestContext, type ResultStream, type RouteMap, type StreamOptions, type SurveyOptions, type SurveyRun, type WaitForAgentsOptions,
} from '@nanite/core';
import { Injectable } from '@nestjs/common';
import { NaniteCallScope } from './call-scope';
import { callOptionsOf, checkSignal, invalidOption } from './nanite-options.check';
import { NaniteRuntime } from './nanite.runtime';
import type { TypedMapperService } from './typed-mapper-service';

/** Which call a request made through MapperService belongs to. */
export interface ParentOption {
  /**
   * The actor call this request is part of. Default: the call the code runs in (when it runs in an
   * `@Expose()` method), whose remaining deadline, cancellation, trace id and hop count travel
   * along, as with `context.request()`. `false`: an independent request.
   */
  parent?: RequestContext | false;
}

/** Options of `MapperService.request()` and `call()`. */
export type MapperServiceRequestOptions = MapperRequestOptions & ParentOption;
/** Options of `MapperService.push()`. */
export type MapperServicePushOptions = PushOptions & ParentOption;

/**
 * Requests and pushes to actors anywhere on the transport, through the module's mapper.
 *
 * ```ts
 * constructor(private readonly nanite: MapperService) {}
 * sum = await this.nanite.request<number>('/calc/add', [1, 2], { timeout: 2_000 });
 * all = await this.nanite.request<string>('/simple/echo', 'hi', { selector: 'all' }); // FanOut<string>
 * ```
 * Inside an actor method, calls are nested in the current one automatically (see {@link ParentOption}).
 */
@Injectable()
export class MapperService {
  constructor(
    private readonly runtime: NaniteRuntime,
    private readonly scope: NaniteCallScope,
  ) {}

  /**
   * True once the mapper runs (after bootstrap, or later with `startup: 'background'`) and until
   * shutdown, while the transport reports a live connection (amqp:// keeps retrying through an
   * outage; requests made meanwhile are buffered, bounded, or fail with a clear code).
   */
  get isReady(): boolean {
    return this.runtime.state === 'ready' && this.runtime.mapper?.isRunning === true && this.runtime.connected !== false;
  }

  /** Resolves once the module has started (see `NaniteRuntime.whenReady`); rejects after `timeout` ms (default 10 000; `Infinity`: no timer) or when the app closes. */
  whenReady(timeout?: number): Promise<void> {
    return this.runtime.whenReady(timeout);
  }

  /**
   * Sends a request and resolves with its result; with `selector: 'all'`, with one outcome per agent.
   * Options that are not an object (e.g. `null`), or a `signal` that is not an `AbortSignal`,
   * reject with `NANITE_ERR_INVALID_ARGUMENT`, as core's mapper does; so do `call()` and `push()`.
   */
  request<R = unknown>(route: string, payload: unknown, options: MapperServiceRequestOptions & { selector: 'all' }): Promise<FanOut<R>>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperServiceRequestOptions): Promise<R>;
  async request<R = unknown>(route: string, payload?: unknown, options?: MapperServiceRequestOptions): Promise<R | FanOut<R>> {
    const { parent, ...rest } = callOptionsOf(options);
    const context = this.parentOf(parent);
    const mapper = this.runtime.mapper;
    if (!mapper && context) return context.request<R>(route, payload, rest);
    return this.mapperFor(mapper).request<R>(route, payload, context ? nestedOptions(context, rest) : rest);
  }

  /**
   * Like `request()`, and tells which agent answered and after how many attempts (single-agent
   * selectors only). Nested in the current actor call like `request()` (same deadline,
   * cancellation, trace id and hops). It needs the module's mapper: with `mapper: false` it
   * rejects with `NANITE_ERR_NOT_STARTED` (core's `RequestContext` has no `call()`; use `request()`).
   */
  async call<R = unknown>(route: string, payload?: unknown, options?: MapperServiceRequestOptions): Promise<Reply<R>> {
    const { parent, ...rest } = callOptionsOf(options);
    const context = this.parentOf(parent);
    if (!this.runtime.mapper && context && !this.runtime.hasMapper) {
      throw new NaniteError('NANITE_ERR_NOT_STARTED', {
        message: 'MapperService.call() needs the module\'s mapper, and NaniteModule was configured with mapper: false; use request() inside actors',
      });
    }
    return this.mapperFor(this.runtime.mapper).call<R>(route, payload, context ? nestedOptions(context, rest) : rest);
  }

  /** Fire-and-forget: resolves once sent. */
  async push(route: string, payload?: unknown, options?: MapperServicePushOptions): Promise<void> {
    const { parent, ...rest } = callOptionsOf(options);
    const context = this.parentOf(parent);
    const mapper = this.runtime.mapper;
    if (!mapper && context) return context.push(route, payload, rest);
    return this.mapperFor(mapper).push(route, payload, context ? { ...rest, traceId: context.traceId, hops: context.hops + 1 } : rest);
  }

  /**
   * `mapper.survey()`: asks every agent serving `route` and yields their answers until the deadline
   * (`for await (const a of this.nanite.survey('/discovery/who', 'billing', { timeout: 500 }))`).
   * Surveys are not nested in the current actor call (pass its `signal` to end one with it).
   */
  survey<R = unknown>(route: string, payload?: unknown, options?: SurveyOptions): SurveyRun<R> {
    return this.mapperFor(this.runtime.mapper).survey<R>(route, payload, options);
  }

  /**
   * Reads a route's result as a stream of chunks (`mapper.stream()`, docs/streams.md). Not nested
   * in the current actor call: pass `signal` / `traceId` yourself when it should be.
   */
  stream<T = unknown>(route: string, payload?: unknown, options: StreamOptions = {}): ResultStream<T> {
    return this.mapperFor(this.runtime.mapper).stream<T>(route, payload, options);
  }

  /**
   * This service, its `request`/`call`/`push` typed by a route map (`RoutesOf<[typeof Calc]>`):
   * only known routes, checked payloads, the handlers' result types. The same object.
   */
  typed<M extends RouteMap>(): TypedMapperService<M> {
    return this as unknown as TypedMapperService<M>;
  }

  /** A snapshot of the live agents this mapper knows. */
  agents(): AgentView[] {
    return this.runtime.mapper?.agents() ?? [];
  }

  /** Resolves once at least `count` agents (serving `route`, when given) are live; rejects with `NANITE_ERR_TIMEOUT` after `timeout` ms. */
  async waitForAgents(options: WaitForAgentsOptions = {}): Promise<AgentView[]> {
    return this.mapperFor(this.runtime.mapper).waitForAgents(options);
  }

  private parentOf(parent: RequestContext | false | undefined): RequestContext | undefined {
    if (parent === false) return undefined;
    if (parent !== undefined && (typeof parent !== 'object' || parent === null)) throw invalidOption('parent', 'must be a RequestContext or false', parent);
    return parent ?? this.scope.current();
  }

  private mapperFor(mapper: Mapper | undefined): Mapper {
    if (!mapper) {
      const message = this.runtime.hasMapper ? 'NaniteModule has not bootstrapped yet' : 'NaniteModule was configured with mapper: false';
      throw new NaniteError('NANITE_ERR_NOT_STARTED', { message });
    }
    if (this.runtime.state === 'starting') {
      throw new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `Nanite is not connected to ${this.runtime.transport.url} yet` });
    }
    return mapper;
  }
}

/** The options of a request nested in `context`: the earlier deadline, both signals, its trace id, one more hop. */
function nestedOptions(context: RequestContext, options: MapperRequestOptions): MapperRequestOptions {
  checkSignal(options.signal);
  const signal = options.signal ? AbortSignal.any([options.signal, context.signal]) : context.signal;
  const deadline = Math.min(options.deadline ?? Infinity, context.deadline);
  return { ...options, signal, traceId: context.traceId, hops: context.hops + 1, ...(Number.isFinite(deadline) ? { deadline } : {}) };
}
