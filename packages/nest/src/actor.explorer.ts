/**
 * Finds `@Actor()` providers (and opted-in controllers) at bootstrap and turns their `@Expose()`d
 * methods into Nanite handlers that run through Nest's guards, interceptors, pipes and filters.
 */
import { actorPrefix, defineActor, getExposedMethods, NaniteError, type ActorDefinition, type Handler, type HandlerSpec, type RequestContext } from '@nanite/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, ExternalContextCreator, MetadataScanner } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { NaniteCallScope } from './call-scope';
import { observableChunks } from './observable-stream';
import { NaniteActorMarker } from './decorators/actor.decorator';
import { NANITE_CONTEXT_TYPE, NANITE_EXPOSE_MARKER } from './nanite.constants';
import { NANITE_MODULE_OPTIONS } from './nanite.module-definition';
import type { NaniteModuleOptions } from './nanite-module.options';
import { NaniteParamsFactory } from './nanite-params.factory';
import { nestErrorToNanite } from './nest-error.mapper';

/** One discovered actor: its Nest class and the definition the agent serves. */
export interface DiscoveredActor {
  readonly name: string;
  readonly definition: ActorDefinition;
}

interface Candidate {
  readonly instance: object;
  readonly metatype: Function;
  readonly isStatic: boolean;
}

/** Discovers actors through DiscoveryService and MetadataScanner; used once per bootstrap by the runtime. */
@Injectable()
export class ActorExplorer {
  private readonly logger = new Logger('NaniteModule');
  private readonly paramsFactory = new NaniteParamsFactory();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
    private readonly scope: NaniteCallScope,
    @Inject(NANITE_MODULE_OPTIONS) private readonly options: NaniteModuleOptions,
  ) {}

  /** Every actor of the application, each bound to its DI instance. */
  explore(): DiscoveredActor[] {
    const filter = { metadataKey: NaniteActorMarker.KEY };
    const providers = this.discovery.getProviders(filter).map((w) => this.candidate(w));
    const controllers = this.discovery.getControllers(filter).map((w) => this.candidate(w));
    if (!this.options.controllers && controllers.length > 0) {
      const names = controllers.map((c) => c.metatype.name).join(', ');
      this.logger.warn(`@Actor() controllers ${names} are not served: set controllers: true in NaniteModule options to serve them`);
    }
    const seen = new Set<object>();
    const actors: DiscoveredActor[] = [];
    for (const c of this.options.controllers ? [...providers, ...controllers] : providers) {
      if (!c.instance || seen.has(c.instance)) continue; // the same instance exported under several tokens is one actor
      seen.add(c.instance);
      if (!c.isStatic) {
        throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
          message: `Actor ${c.metatype.name} is request-scoped or transient (or depends on such a provider): actors must be singletons`,
        });
      }
      actors.push({ name: c.metatype.name, definition: this.define(c.instance, c.metatype) });
    }
    return actors;
  }

  private candidate(wrapper: ReturnType<DiscoveryService['getProviders']>[number]): Candidate {
    return {
      instance: wrapper.instance as object,
      metatype: (wrapper.metatype ?? (wrapper.instance as object | undefined)?.constructor) as Function,
      isStatic: wrapper.isDependencyTreeStatic(),
    };
  }

  private define(instance: object, metatype: Function): ActorDefinition {
    const exposed = getExposedMethods(metatype);
    const prototype = Object.getPrototypeOf(instance) as object;
    const handlers: Record<string, HandlerSpec> = {};
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      const fn = (prototype as Record<string, unknown>)[method];
      if (typeof fn !== 'function' || !Reflect.hasMetadata(NANITE_EXPOSE_MARKER, fn)) continue;
      const spec = exposed.find((e) => e.method === method);
      if (!spec) continue;
      if (handlers[spec.name]) {
        throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${metatype.name} exposes two methods as "${spec.name}"` });
      }
      // A schema (@Expose({ schema })) is checked before the Nest pipeline, as core does for any actor.
      handlers[spec.name] = { handler: this.handler(instance, fn as (...args: unknown[]) => unknown, method), idempotent: spec.idempotent, ...(spec.schema ? { schema: spec.schema } : {}) };
    }
    if (Object.keys(handlers).length === 0) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Actor ${metatype.name} exposes no method: mark one with @Expose() from @nanite/nest` });
    }
    return defineActor(actorPrefix(metatype), handlers);
  }

  private handler(instance: object, callback: (...args: unknown[]) => unknown, method: string): Handler {
    // An Observable the method returns is a result stream (Nest would otherwise keep its last value only).
    const streaming = function (this: unknown, ...args: unknown[]): unknown {
      const out = callback.apply(this, args);
      return isObservable(out) ? observableChunks(out) : out;
    };
    // Nest reads guards, pipes, interceptors and filters (and Reflector metadata) off the handler function.
    for (const key of Reflect.getMetadataKeys(callback) as unknown[]) Reflect.defineMetadata(key, Reflect.getMetadata(key, callback), streaming);
    const run = this.contextCreator.create(
      instance,
      streaming,
      method,
      ROUTE_ARGS_METADATA,
      this.paramsFactory,
      undefined,
      undefined,
      { guards: true, interceptors: true, filters: true },
      NANITE_CONTEXT_TYPE,
    );
    return async (payload: unknown, context: RequestContext) => {
      try {
        const out: unknown = await this.scope.run(context, () => run(payload, context));
        // An exception filter may answer with an Observable (as RPC filters do): its last value or error is the outcome.
        return isObservable(out) ? await lastValueFrom(out) : out;
      } catch (err) {
        throw nestErrorToNanite(err);
      }
    };
  }
}
