/** What `fastify.nanite` is: the mapper's calls, bound, plus the hosted agent. */
import type { Readable } from 'node:stream';
import type { Agent, AgentView, FanOut, Mapper, MapperRequestOptions, PushOptions, Reply, RouteMap, StreamOptions, SurveyOptions, SurveyRun, WaitForAgentsOptions } from '@nanite/core';
import { toByteStream } from './nanite-stream';
import type { TypedFastifyNanite } from './typed-nanite';

/** The `fastify.nanite` decoration. */
export interface FastifyNanite {
  /** The mapper this app dispatches with. */
  readonly mapper: Mapper;
  /** The agent hosted in this app (with the `actors` or `agent` option), else undefined. */
  readonly agent: Agent | undefined;
  /** `mapper.request()`: a result, or one outcome per agent with `selector: 'all'`. */
  request<R = unknown>(route: string, payload: unknown, options: MapperRequestOptions & { selector: 'all' }): Promise<FanOut<R>>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R>;
  /** `mapper.call()`: the result with the agent that produced it and the attempts it took. */
  call<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<Reply<R>>;
  /** `mapper.push()`: fire-and-forget. */
  push(route: string, payload?: unknown, options?: PushOptions): Promise<void>;
  /** `mapper.survey()`: every agent's answer until the deadline, as an async iterable. */
  survey<R = unknown>(route: string, payload?: unknown, options?: SurveyOptions): SurveyRun<R>;
  /**
   * `mapper.stream()` as a `Readable` of bytes for `reply.send()`: Buffers as they are, strings as
   * UTF-8, other values as NDJSON lines; the client going away cancels the handler. Upload a request
   * body with `{ stream: request.body }` (with a pass-through content-type parser, see docs/streams.md).
   */
  stream(route: string, payload?: unknown, options?: StreamOptions): Readable;
  /** `mapper.agents()`: a snapshot of the live agents. */
  agents(): AgentView[];
  /** `mapper.waitForAgents()`: resolves once enough agents (serving `route`) are live. */
  waitForAgents(options?: WaitForAgentsOptions): Promise<AgentView[]>;
  /** This decoration, its calls typed by a route map (`RoutesOf<[typeof calc]>`); the same object. */
  typed<M extends RouteMap>(): TypedFastifyNanite<M>;
}

/** The implementation of {@link FastifyNanite}: thin delegation, so handlers can destructure. */
export class NaniteHandle implements FastifyNanite {
  constructor(
    readonly mapper: Mapper,
    readonly agent: Agent | undefined,
  ) {
    // Bound once so `const { request } = fastify.nanite` works.
    this.request = this.request.bind(this);
    this.call = this.call.bind(this);
    this.push = this.push.bind(this);
    this.survey = this.survey.bind(this);
    this.stream = this.stream.bind(this);
    this.agents = this.agents.bind(this);
    this.waitForAgents = this.waitForAgents.bind(this);
  }

  request<R = unknown>(route: string, payload: unknown, options: MapperRequestOptions & { selector: 'all' }): Promise<FanOut<R>>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R>;
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R | FanOut<R>> {
    return this.mapper.request<R>(route, payload, options);
  }

  call<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<Reply<R>> {
    return this.mapper.call<R>(route, payload, options);
  }

  push(route: string, payload?: unknown, options?: PushOptions): Promise<void> {
    return this.mapper.push(route, payload, options);
  }

  survey<R = unknown>(route: string, payload?: unknown, options?: SurveyOptions): SurveyRun<R> {
    return this.mapper.survey<R>(route, payload, options);
  }

  stream(route: string, payload?: unknown, options?: StreamOptions): Readable {
    return toByteStream(this.mapper.stream(route, payload, options));
  }

  agents(): AgentView[] {
    return this.mapper.agents();
  }

  waitForAgents(options?: WaitForAgentsOptions): Promise<AgentView[]> {
    return this.mapper.waitForAgents(options);
  }

  typed<M extends RouteMap>(): TypedFastifyNanite<M> {
    return this as unknown as TypedFastifyNanite<M>;
  }
}
