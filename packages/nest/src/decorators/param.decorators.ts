/** Parameter decorators of actor methods: `@Payload()` and `@Ctx()`. */
import { NaniteError } from '@nanite/core';
import type { PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { NaniteParamtype } from '../nanite.constants';

/** A pipe instance or class, as accepted by Nest's own parameter decorators. */
export type NanitePipe = Type<PipeTransform> | PipeTransform;

interface ParamRecord {
  index: number;
  data: string | undefined;
  pipes: NanitePipe[];
}

function paramDecorator(paramtype: number, data: string | undefined, pipes: NanitePipe[]): ParameterDecorator {
  return (target, key, index) => {
    if (key === undefined) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'Nanite parameter decorators belong on actor methods, not constructors' });
    }
    const ctor = target.constructor;
    const existing = (Reflect.getMetadata(ROUTE_ARGS_METADATA, ctor, key) as Record<string, ParamRecord> | undefined) ?? {};
    const record: ParamRecord = { index, data, pipes };
    // Same storage Nest's own decorators use, so custom decorators (createParamDecorator) mix freely.
    Reflect.defineMetadata(ROUTE_ARGS_METADATA, { ...existing, [`${paramtype}:${index}`]: record }, ctor, key);
  };
}

/**
 * The request's payload, optionally one property of it, passed through the given pipes:
 * `@Payload()`, `@Payload(new ValidationPipe())`, `@Payload('id', ParseIntPipe)`.
 * With a class-typed parameter, a `ValidationPipe` validates the payload against that DTO.
 */
export function Payload(): ParameterDecorator;
export function Payload(...pipes: NanitePipe[]): ParameterDecorator;
export function Payload(property: string, ...pipes: NanitePipe[]): ParameterDecorator;
export function Payload(propertyOrPipe?: string | NanitePipe, ...pipes: NanitePipe[]): ParameterDecorator {
  if (typeof propertyOrPipe === 'string') return paramDecorator(NaniteParamtype.PAYLOAD, propertyOrPipe, pipes);
  return paramDecorator(NaniteParamtype.PAYLOAD, undefined, propertyOrPipe === undefined ? pipes : [propertyOrPipe, ...pipes]);
}

/** The {@link import('@nanite/core').RequestContext} of the call: route, ids, deadline, signal, progress, nested calls. */
export function Ctx(): ParameterDecorator {
  return paramDecorator(NaniteParamtype.CONTEXT, undefined, []);
}

/** Alias of {@link Payload} for apps that also import @nestjs/microservices' `Payload`. */
export const NanitePayload = Payload;

/** Alias of {@link Ctx} for apps that also import @nestjs/microservices' `Ctx`. */
export const NaniteCtx = Ctx;
