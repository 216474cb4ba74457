import type { RequestContext } from '../agent/request-context';

/** A function that serves a route. `payload` is whatever the caller sent (validate it before trusting it). */
export type Handler<P = unknown, R = unknown> = (payload: P, context: RequestContext) => R | Promise<R>;

/** Options of an exposed method. */
export interface ExposeOptions {
  /** The last route segment; defaults to the method name. */
  name?: string;
  /** Safe to run twice: a mapper re-dispatches it to another agent when its agent dies mid-request. */
  idempotent?: boolean;
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
}

/** A decorator-free actor: the result of {@link defineActor}. */
export interface ActorDefinition {
  readonly kind: 'nanite-actor';
  readonly prefix: string;
  readonly routes: readonly ActorRoute[];
}
