import type { RequestContext } from '../agent/request-context';
import type { RouteMap } from './route-map.types';
import type { StandardSchemaV1 } from './standard-schema';

/** A function that serves a route. `payload` is whatever the caller sent (validate it before trusting it). */
export type Handler<P = unknown, R = unknown> = (payload: P, context: RequestContext) => R | Promise<R>;

/** Options of an exposed method. */
export interface ExposeOptions {
  /** The last route segment; defaults to the method name. */
  name?: string;
  /** Safe to run twice: a mapper re-dispatches it to another agent when its agent dies mid-request. */
  idempotent?: boolean;
  /**
   * A Standard Schema (zod, valibot, arktype, ...) the payload must pass before the method runs;
   * the method receives the schema's output. A failure answers `NANITE_ERR_VALIDATION`.
   * Types cannot see decorators: the route's payload type is the method's parameter annotation,
   * so annotate it with the schema's output (`StandardSchemaV1.InferOutput<typeof schema>`).
   */
  schema?: StandardSchemaV1;
}

/** Options of an actor. */
export interface ActorOptions {
  /** The first route segment; defaults to the class name in snake_case. */
  prefix?: string;
}

/** One route an actor serves, bound to its handler. */
export interface ActorRoute {
  route: string;
  idempotent: boolean;
  handler: Handler;
  /**
   * The payload schema, when the route declares one. `handler` already validates against it
   * (a failure answers `NANITE_ERR_VALIDATION`; the schema's output is what the user's handler gets).
   */
  schema?: StandardSchemaV1;
}

/**
 * A decorator-free actor: the result of {@link defineActor}. Its type carries the prefix and the
 * route map (`RouteMapOf<typeof billing>`); at run time it is `{ kind, prefix, routes }`.
 */
export interface ActorDefinition<P extends string = string, M extends RouteMap = RouteMap> {
  readonly kind: 'nanite-actor';
  readonly prefix: P;
  readonly routes: readonly ActorRoute[];
  /** Type-only: the route map. Never set at run time. */
  readonly '~routes'?: M;
}
