/** Options of the @nanite/fastify plugin. */
import type { ActorLike, Agent, AgentOptions, Mapper, MapperOptions, SecurityOptions, Transport } from '@nanite/core';
import type { NaniteErrorHandlerOptions } from '../errors/error-handler';
import type { NaniteMetricsOptions } from './metrics-route';

/** Options of a mapper the plugin creates: core's, without what the plugin supplies (transport, logger). The same type as @nanite/nest's. */
export type NaniteMapperOptions = Omit<MapperOptions, 'transport' | 'logger'>;

/** Options of an agent the plugin hosts: core's, without what the plugin supplies (transport, actors, logger). The same type as @nanite/nest's. */
export type NaniteAgentOptions = Omit<AgentOptions, 'transport' | 'actors' | 'logger' | 'mapper'>;

/**
 * Options of {@link nanitePlugin}. Give a way to reach the cluster: `url` or `transport` (the
 * plugin then creates a mapper), or an existing `mapper`. Anything the plugin creates it also
 * closes; anything you pass in (transport, mapper, agent) stays yours to close.
 *
 * `mapper` and `agent` take either shape, as in `NaniteModule` of @nanite/nest: an instance (used
 * as is) or options (for one the plugin creates).
 */
export interface NanitePluginOptions {
  /** Transport URL (`memory://name`, `amqp://user:pass@host/vhost`); the plugin creates the transport and closes it last. */
  url?: string;
  /** A transport instance to use instead of `url` (not closed by the plugin). */
  transport?: Transport;
  /** Secure mode (`{ cert, key, ca }`, see @nanite/core docs/security.md) for the plugin's mapper and hosted agent. */
  security?: SecurityOptions;
  /**
   * A `Mapper` to expose as `fastify.nanite` (started if it is not running yet; never closed by the
   * plugin), or the options of the mapper the plugin creates. Default: a mapper with core's defaults.
   */
  mapper?: Mapper | NaniteMapperOptions;
  /** @deprecated Same as `mapper` given as options (kept from earlier releases); ignored with a `Mapper` instance. */
  mapperOptions?: NaniteMapperOptions;
  /**
   * An `Agent` to expose as `fastify.nanite.agent` (started if it is not running yet; never stopped
   * by the plugin), or the options of an agent the plugin hosts (serving `actors`; needs `url` or
   * `transport`). Default: a hosted agent when `actors` are given, none otherwise.
   */
  agent?: Agent | NaniteAgentOptions;
  /** Actors for an agent the plugin hosts in this app (needs `url` or `transport`). */
  actors?: readonly ActorLike[];
  /** @deprecated Same as `agent` given as options (kept from earlier releases). */
  agentOptions?: NaniteAgentOptions;
  /**
   * Install {@link naniteErrorHandler} on this instance: NaniteErrors become 503/504/400/... with
   * `{ code, message, data }` bodies; other errors go on to Fastify's handler. Default false.
   */
  errorHandler?: boolean | NaniteErrorHandlerOptions;
  /**
   * Prometheus metrics (needs `prom-client`) of the mapper and hosted agent the plugin creates, at
   * `GET /metrics` (docs/observability.md). A `Mapper` or `Agent` you pass in keeps its own
   * observers: give it `observers: [metrics]` and pass the same adapter as `{ metrics }`. Default false.
   */
  metrics?: boolean | NaniteMetricsOptions;
}

/** Whether `value` is a running-capable Mapper (by shape, so a second copy of @nanite/core counts too). */
export function isMapperInstance(value: Mapper | NaniteMapperOptions | undefined): value is Mapper {
  const m = value as Partial<Record<'start' | 'request' | 'close', unknown>> | undefined;
  return typeof m?.start === 'function' && typeof m.request === 'function' && typeof m.close === 'function';
}

/** Whether `value` is an Agent (by shape, so a second copy of @nanite/core counts too). */
export function isAgentInstance(value: Agent | NaniteAgentOptions | undefined): value is Agent {
  const a = value as Partial<Record<'start' | 'addActor' | 'close', unknown>> | undefined;
  return typeof a?.start === 'function' && typeof a.addActor === 'function' && typeof a.close === 'function';
}
