/** The typed view of `fastify.nanite` (`fastify.nanite.typed<Routes>()`): types only. */
import type { RouteMap, TypedCall, TypedPush, TypedRequest, TypedSurvey } from '@nanite/core';
import type { FastifyNanite } from './nanite-handle';

/**
 * `fastify.nanite` with `request`/`call`/`push` typed by a route map: only known routes, checked
 * payloads, the handlers' result types. Its methods are bound, so they can be destructured.
 */
export type TypedFastifyNanite<M extends RouteMap> = TypedRequest<M> & TypedCall<M> & TypedPush<M> & TypedSurvey<M> & Omit<FastifyNanite, 'request' | 'call' | 'push' | 'survey' | 'typed'>;
