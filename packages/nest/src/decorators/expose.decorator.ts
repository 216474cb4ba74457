/** `@Expose()` for Nest actor methods: core's route metadata plus a method marker for MetadataScanner. */
import { Expose as CoreExpose, type ExposeOptions } from '@nanite/core';
import { NANITE_EXPOSE_MARKER } from '../nanite.constants';

/**
 * Serves a method of an `@Actor()` provider as the route `/<prefix>/<name>` (name defaults to the
 * method name). Guards, interceptors, pipes and exception filters bound to the method or its
 * class apply to every call; without parameter decorators the method receives `(payload, context)`.
 *
 * ```ts
 * @Expose({ idempotent: true })
 * @UseGuards(ApiKeyGuard)
 * quote(@Payload(new ValidationPipe()) dto: QuoteDto, @Ctx() ctx: RequestContext) { ... }
 * ```
 */
export function Expose(options: ExposeOptions = {}): MethodDecorator {
  const core = CoreExpose(options);
  return (target, propertyKey, descriptor) => {
    core(target, propertyKey, descriptor);
    Reflect.defineMetadata(NANITE_EXPOSE_MARKER, { ...options }, descriptor.value as object);
  };
}
