/**
 * `@Actor()` and `@Expose()`: mark a class as an actor and methods as routes.
 * Metadata is kept with reflect-metadata so frameworks (e.g. @nanite/nest) read the same marks.
 */
import 'reflect-metadata';
import { NaniteError } from '../errors';
import type { ActorOptions, ExposeOptions } from './actor.types';
import type { StandardSchemaV1 } from './standard-schema';
import { isRouteSegment } from './route-name';
import { isStandardSchema } from './standard-schema-check';

/** Metadata key of the `@Actor()` options on a class. */
export const ACTOR_METADATA = 'nanite:actor';
/** Metadata key of the exposed methods list on a class. */
export const EXPOSE_METADATA = 'nanite:expose';

/** One exposed method as recorded by `@Expose()`. */
export interface ExposedMethod {
  method: string;
  name: string;
  idempotent: boolean;
  /** The payload schema given to `@Expose({ schema })`. */
  schema?: StandardSchemaV1;
}

function checkSegment(kind: string, value: string): void {
  if (!isRouteSegment(value)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${kind} "${value}" is not a valid route segment (letters, digits, _ . ~ -)` });
  }
}

/**
 * Marks a class as an actor. `@Actor('foo')` or `@Actor({ prefix: 'foo' })`; without a prefix the
 * class's `static readonly prefix = 'foo'` is used (which also types its routes, see
 * `RouteMapOf`), else the class name in snake_case (`FooBar` → `/foo_bar/...`).
 */
export function Actor(prefixOrOptions?: string | ActorOptions): ClassDecorator {
  const options: ActorOptions = typeof prefixOrOptions === 'string' ? { prefix: prefixOrOptions } : (prefixOrOptions ?? {});
  if (options.prefix !== undefined) checkSegment('Actor prefix', options.prefix);
  return (target) => {
    const declared = (target as { prefix?: unknown }).prefix;
    if (typeof declared !== 'string') {
      Reflect.defineMetadata(ACTOR_METADATA, options, target);
      return;
    }
    checkSegment(`Static prefix of ${target.name}`, declared);
    if (options.prefix !== undefined && options.prefix !== declared) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${target.name} declares static prefix "${declared}" but @Actor() gives "${options.prefix}"` });
    }
    Reflect.defineMetadata(ACTOR_METADATA, { ...options, prefix: declared }, target);
  };
}

/** Exposes a method as the route `/<prefix>/<name>`. */
export function Expose(options: ExposeOptions = {}): MethodDecorator {
  if (typeof options !== 'object' || options === null) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: '@Expose() takes an options object' });
  if (options.name !== undefined) checkSegment('Expose name', options.name);
  if (options.idempotent !== undefined && typeof options.idempotent !== 'boolean') {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Expose idempotent must be a boolean, got ${typeof options.idempotent}` });
  }
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'Expose schema must implement Standard Schema v1 (~standard.validate)' });
  }
  return (target, propertyKey) => {
    if (typeof propertyKey !== 'string') {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: '@Expose() needs a string-named method' });
    }
    const ctor = target.constructor;
    const own: ExposedMethod[] = Reflect.hasOwnMetadata(EXPOSE_METADATA, ctor)
      ? (Reflect.getOwnMetadata(EXPOSE_METADATA, ctor) as ExposedMethod[])
      : [...((Reflect.getMetadata(EXPOSE_METADATA, ctor) as ExposedMethod[] | undefined) ?? [])];
    own.push({ method: propertyKey, name: options.name ?? propertyKey, idempotent: options.idempotent ?? false, ...(options.schema ? { schema: options.schema } : {}) });
    Reflect.defineMetadata(EXPOSE_METADATA, own, ctor);
  };
}

/** The `@Actor()` options of a class, or undefined when it is not an actor. */
export function getActorOptions(target: Function): ActorOptions | undefined {
  return Reflect.getMetadata(ACTOR_METADATA, target) as ActorOptions | undefined;
}

/** The methods a class exposes (including inherited ones). */
export function getExposedMethods(target: Function): readonly ExposedMethod[] {
  return (Reflect.getMetadata(EXPOSE_METADATA, target) as ExposedMethod[] | undefined) ?? [];
}
