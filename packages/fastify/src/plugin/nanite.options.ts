/** Options of the @nanite/fastify plugin. */
import type { ActorLike, Agent, AgentOptions, Mapper, MapperOptions, Transport } from '@nanite/core';
import type { NaniteErrorHandlerOptions } from '../errors/error-handler';

/**
 * Options of {@link nanitePlugin}. Give a way to reach the cluster: `url` or `transport` (the
 * plugin then creates a mapper), or an existing `mapper`. Anything the plugin creates it also
 * closes; anything you pass in (transport, mapper, agent) stays yours to close.
 */
export interface NanitePluginOptions {
  /** Transport URL (`memory://name`, `amqp://user:pass@host/vhost`); the plugin creates the transport and closes it last. */
  url?: string;
  /** A transport instance to use instead of `url` (not closed by the plugin). */
  transport?: Transport;
  /** An existing mapper to expose as `fastify.nanite` (started if it is not running yet; never closed by the plugin). */
  mapper?: Mapper;
  /** Options of the mapper the plugin creates (ignored with `mapper`). */
  mapperOptions?: Omit<MapperOptions, 'transport' | 'logger'>;
  /** An existing agent to expose as `fastify.nanite.agent` (started if it is not running yet; never stopped by the plugin). */
  agent?: Agent;
  /** Actors for an agent the plugin hosts in this app (needs `url` or `transport`). */
  actors?: readonly ActorLike[];
  /** Options of the hosted agent (with `actors`). */
  agentOptions?: Omit<AgentOptions, 'transport' | 'actors' | 'logger'>;
  /**
   * Install {@link naniteErrorHandler} on this instance: NaniteErrors become 503/504/400/... with
   * `{ code, message, data }` bodies; other errors go on to Fastify's handler. Default false.
   */
  errorHandler?: boolean | NaniteErrorHandlerOptions;
}
