/** Turns actors (decorated instances or definitions) into routes bound to handlers. */
import type { RequestContext } from '../agent/request-context';
import { NaniteError } from '../errors';
import type { ActorDefinition, ActorRoute, Handler } from './actor.types';
import type { AnyHandler, AnyHandlerSpec, HandlersRouteMap } from './route-map.types';
import type { StandardSchemaV1 } from './standard-schema';
import { getActorOptions, getExposedMethods } from './decorators';
import { validatingHandler } from './payload-schema';
import { isRouteSegment, routeOf, snakeCase } from './route-name';
import { isStandardSchema } from './standard-schema-check';

/** What an agent accepts as an actor: an instance of an `@Actor()` class or a {@link defineActor} result. */
export type ActorLike = object;

/** A handler with its options, for {@link defineActor}. */
export interface HandlerSpec<P = unknown, R = unknown> {
  handler: Handler<P, R>;
  idempotent?: boolean;
  /** A Standard Schema the payload must pass before the handler runs (see {@link withSchema}). */
  schema?: StandardSchemaV1;
}

/**
 * Defines an actor without decorators (plain JavaScript):
 * ```js
 * const simple = defineActor('simple', {
 *   echo: (payload) => payload ?? 'hello nanite',
 *   slow: { handler: async (p, ctx) => work(p, ctx.signal), idempotent: true },
 * });
 * ```
 * In TypeScript the handlers keep their types: `RouteMapOf<typeof simple>` maps each route to its
 * payload and result (see `mapper.typed()`).
 */
export function defineActor<const P extends string, const H extends Record<string, AnyHandler | AnyHandlerSpec>>(
  prefix: P,
  handlers: H,
): ActorDefinition<P, HandlersRouteMap<P, H>> {
  if (!isRouteSegment(prefix)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor prefix "${String(prefix)}" is not a valid route segment` });
  if (typeof handlers !== 'object' || handlers === null) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `defineActor('${prefix}', handlers): handlers must be an object of route names to handlers` });
  const routes = Object.entries(handlers).map(([name, spec]): ActorRoute => {
    if (!isRouteSegment(name)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Route name "${name}" is not a valid route segment` });
    if (typeof spec !== 'function' && (typeof spec !== 'object' || spec === null)) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Handler for "${name}" must be a function or { handler, idempotent?, schema? }` });
    }
    const { handler, idempotent, schema } = typeof spec === 'function' ? { handler: spec, idempotent: false, schema: undefined } : spec;
    if (typeof handler !== 'function') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Handler for "${name}" is not a function` });
    // Every mapper would drop a Register with a non-boolean idempotent as malformed: the agent would serve nobody.
    if (idempotent !== undefined && typeof idempotent !== 'boolean') {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `idempotent of "${name}" must be a boolean, got ${typeof idempotent}` });
    }
    if (schema !== undefined && !isStandardSchema(schema)) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `The schema of "${name}" does not implement Standard Schema v1 (~standard.validate)` });
    }
    const route = routeOf(prefix, name);
    return schema
      ? { route, idempotent: idempotent ?? false, handler: validatingHandler(route, schema, handler as Handler), schema }
      : { route, idempotent: idempotent ?? false, handler: handler as Handler };
  });
  return { kind: 'nanite-actor', prefix, routes };
}

/**
 * A handler whose payload must pass `schema` (any Standard Schema: zod, valibot, arktype...) before
 * it runs; the handler's payload type is the schema's output, callers send its input.
 * ```ts
 * const billing = defineActor('billing', {
 *   charge: withSchema(z.object({ order: z.number() }), (p) => charge(p.order), { idempotent: true }),
 * });
 * ```
 */
export function withSchema<S extends StandardSchemaV1, R>(
  schema: S,
  handler: (payload: StandardSchemaV1.InferOutput<S>, context: RequestContext) => R,
  options: { idempotent?: boolean } = {},
): { handler: (payload: StandardSchemaV1.InferOutput<S>, context: RequestContext) => R; schema: S; idempotent: boolean } {
  if (!isStandardSchema(schema)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'withSchema() needs a Standard Schema v1 (an object with ~standard.validate)' });
  if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'withSchema() idempotent must be a boolean' });
  return { handler, schema, idempotent: options.idempotent ?? false };
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
  return methods.map(({ method, name, idempotent, schema }) => {
    const fn = (actor as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${ctor.name}#${method} is not a method` });
    const route = routeOf(prefix, name);
    const handler = (fn as Handler).bind(actor);
    return schema ? { route, idempotent, handler: validatingHandler(route, schema, handler), schema } : { route, idempotent, handler };
  });
}
