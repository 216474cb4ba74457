/** Turns actors (decorated instances or definitions) into routes bound to handlers. */
import { NaniteError } from '../errors';
import type { ActorDefinition, ActorRoute, Handler } from './actor.types';
import { getActorOptions, getExposedMethods } from './decorators';
import { isRouteSegment, routeOf, snakeCase } from './route-name';

/** What an agent accepts as an actor: an instance of an `@Actor()` class or a {@link defineActor} result. */
export type ActorLike = object;

/** A handler with its options, for {@link defineActor}. */
export interface HandlerSpec {
  handler: Handler;
  idempotent?: boolean;
}

/**
 * Defines an actor without decorators (plain JavaScript):
 * ```js
 * const simple = defineActor('simple', {
 *   echo: (payload) => payload ?? 'hello nanite',
 *   slow: { handler: async (p, ctx) => work(p, ctx.signal), idempotent: true },
 * });
 * ```
 */
export function defineActor(prefix: string, handlers: Record<string, Handler | HandlerSpec>): ActorDefinition {
  if (!isRouteSegment(prefix)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor prefix "${prefix}" is not a valid route segment` });
  const routes = Object.entries(handlers).map(([name, spec]): ActorRoute => {
    if (!isRouteSegment(name)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Route name "${name}" is not a valid route segment` });
    const { handler, idempotent } = typeof spec === 'function' ? { handler: spec, idempotent: false } : spec;
    if (typeof handler !== 'function') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Handler for "${name}" is not a function` });
    return { route: routeOf(prefix, name), idempotent: idempotent ?? false, handler };
  });
  return { kind: 'nanite-actor', prefix, routes };
}

function isDefinition(actor: object): actor is ActorDefinition {
  return (actor as Partial<ActorDefinition>).kind === 'nanite-actor' && Array.isArray((actor as Partial<ActorDefinition>).routes);
}

/** The prefix of a decorated class: its `@Actor()` prefix or its name in snake_case. */
export function actorPrefix(ctor: Function): string {
  return getActorOptions(ctor)?.prefix ?? snakeCase(ctor.name);
}

/**
 * The routes an actor serves, bound to the instance. Throws `NANITE_ERR_INVALID_ARGUMENT` for an
 * object that is neither a definition nor an instance of an `@Actor()` class with exposed methods.
 */
export function actorRoutes(actor: ActorLike): ActorRoute[] {
  if (isDefinition(actor)) return [...actor.routes];
  const ctor = actor.constructor;
  if (typeof ctor !== 'function' || getActorOptions(ctor) === undefined) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
      message: `${ctor?.name ?? typeof actor} is not an actor: decorate its class with @Actor() or use defineActor()`,
    });
  }
  const prefix = actorPrefix(ctor);
  const methods = getExposedMethods(ctor);
  if (methods.length === 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor ${ctor.name} exposes no method: mark one with @Expose()` });
  return methods.map(({ method, name, idempotent }) => {
    const fn = (actor as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${ctor.name}#${method} is not a method` });
    return { route: routeOf(prefix, name), idempotent, handler: (fn as Handler).bind(actor) };
  });
}
