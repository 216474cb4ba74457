/** `@Actor()` for Nest providers: core's actor metadata plus a marker Nest's DiscoveryService can filter on. */
import { Actor as CoreActor, type ActorOptions } from '@nanite/core';
import { DiscoveryService } from '@nestjs/core';

/**
 * Nest's discoverable marker for actor classes. `DiscoveryService.getProviders({ metadataKey })`
 * returns exactly the providers (and controllers) carrying it.
 */
export const NaniteActorMarker = DiscoveryService.createDecorator<ActorOptions>();

/**
 * Marks an `@Injectable()` provider (or, with `controllers: true` in the module options, a
 * controller) as an actor. Its `@Expose()`d methods are served as `/<prefix>/<name>` by the app's
 * agent. The prefix defaults to the class name in snake_case (`CalcService` → `calc_service`).
 *
 * ```ts
 * @Injectable()
 * @Actor('calc')
 * export class CalcActor {
 *   @Expose() add(@Payload() [a, b]: [number, number]) { return a + b; }
 * }
 * ```
 */
export function Actor(prefixOrOptions?: string | ActorOptions): ClassDecorator {
  const options: ActorOptions = typeof prefixOrOptions === 'string' ? { prefix: prefixOrOptions } : { ...prefixOrOptions };
  // Core validates the prefix (a bad one throws NANITE_ERR_INVALID_ARGUMENT here, at class definition).
  const core = CoreActor(options);
  const marker = NaniteActorMarker(options);
  return (target) => {
    core(target);
    marker(target);
  };
}
