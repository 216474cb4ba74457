/**
 * Type tests of the public signatures, checked by types.spec.ts with the TypeScript compiler.
 * Each `@ts-expect-error` must meet an error, so misuse that starts compiling fails the test too.
 */
import type { AgentView, FanOut, Reply, RequestContext, StandardSchemaV1 } from '@nanite/core';
import { Injectable, ParseIntPipe, ValidationPipe } from '@nestjs/common';
import type { HealthIndicatorFunction, HealthIndicatorResult } from '@nestjs/terminus';
import { expectTypeOf } from 'expect-type';
import { Actor, Ctx, Expose, MapperService, NaniteHealthIndicator, NaniteModule, naniteArguments, Payload, type NaniteModuleOptions } from '../../src';

// ---- decorators --------------------------------------------------------------------------------
expectTypeOf(Actor).parameter(0).toEqualTypeOf<string | { prefix?: string } | undefined>();
expectTypeOf(Actor('calc')).toEqualTypeOf<ClassDecorator>();
expectTypeOf(Expose).parameter(0).toEqualTypeOf<{ name?: string; idempotent?: boolean; schema?: StandardSchemaV1 } | undefined>();
expectTypeOf(Expose()).toEqualTypeOf<MethodDecorator>();
expectTypeOf(Payload()).toEqualTypeOf<ParameterDecorator>();
expectTypeOf(Payload('id', ParseIntPipe)).toEqualTypeOf<ParameterDecorator>();
expectTypeOf(Payload(new ValidationPipe(), ParseIntPipe)).toEqualTypeOf<ParameterDecorator>();
expectTypeOf(Ctx()).toEqualTypeOf<ParameterDecorator>();

// @ts-expect-error -- a number is neither a prefix nor options
Actor(42);
// @ts-expect-error -- Expose takes options, not a name string
Expose('add');
// @ts-expect-error -- unknown option
Expose({ timeout: 5 });
// @ts-expect-error -- Payload's extra arguments are pipes
Payload('id', 'name');
// @ts-expect-error -- Ctx takes nothing
Ctx('route');

@Injectable()
@Actor({ prefix: 'typed' })
export class TypedActor {
  @Expose({ idempotent: true })
  add(@Payload() pair: [number, number], @Ctx() ctx: RequestContext): number {
    ctx.progress('adding', pair);
    return pair[0] + pair[1];
  }

  // @ts-expect-error -- @Expose() decorates methods, not properties
  @Expose() notAMethod = 1;
}

// ---- MapperService -----------------------------------------------------------------------------
declare const nanite: MapperService;
expectTypeOf(nanite.request<number>('/calc/add', [1, 2])).toEqualTypeOf<Promise<number>>();
expectTypeOf(nanite.request('/calc/add')).toEqualTypeOf<Promise<unknown>>();
expectTypeOf(nanite.request<number>('/calc/add', [1, 2], { selector: 'all' })).toEqualTypeOf<Promise<FanOut<number>>>();
expectTypeOf(nanite.call<string>('/x/y')).toEqualTypeOf<Promise<Reply<string>>>();
expectTypeOf(nanite.push('/x/y', 1)).toEqualTypeOf<Promise<void>>();
expectTypeOf(nanite.agents()).toEqualTypeOf<AgentView[]>();
expectTypeOf(nanite.isReady).toEqualTypeOf<boolean>();
nanite.request('/x/y', null, { parent: false, timeout: 100 });
// @ts-expect-error -- the route is a string
nanite.request(42);
// @ts-expect-error -- unknown option
nanite.request('/x/y', null, { retries: 3 });

// ---- module ------------------------------------------------------------------------------------
NaniteModule.forRoot({ url: 'memory://x', isGlobal: true, agent: { tags: ['eu'], concurrency: 8 }, mapper: false });
NaniteModule.forRootAsync({ inject: ['URL'], useFactory: (url: string): NaniteModuleOptions => ({ url }) });
// @ts-expect-error -- agent options do not take a transport (the module's is shared)
NaniteModule.forRoot({ url: 'memory://x', agent: { transport: 'memory://y' } });
// @ts-expect-error -- startup is 'wait' or 'background'
NaniteModule.forRoot({ url: 'memory://x', startup: 'lazy' });

// ---- guards and health -------------------------------------------------------------------------
expectTypeOf(naniteArguments).returns.toEqualTypeOf<{ payload: unknown; context: RequestContext }>();
declare const health: NaniteHealthIndicator;
const indicator: HealthIndicatorFunction = () => health.check('nanite');
expectTypeOf(indicator).toBeFunction();
expectTypeOf(health.check('broker')).resolves.toExtend<HealthIndicatorResult<'broker'>>();
