/** Resolves `@Payload()` and `@Ctx()` parameters from an actor call's arguments `(payload, context)`. */
import type { ParamsFactory } from '@nestjs/core';
import { NaniteParamtype } from './nanite.constants';

/** Nest's ParamsFactory for actor methods (used with ExternalContextCreator). */
export class NaniteParamsFactory implements ParamsFactory {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]): unknown {
    const [payload, context] = args;
    switch (type) {
      case NaniteParamtype.PAYLOAD:
        if (typeof data === 'string' && payload !== null && typeof payload === 'object') return (payload as Record<string, unknown>)[data];
        return typeof data === 'string' ? undefined : payload;
      case NaniteParamtype.CONTEXT:
        return context;
      default:
        return undefined;
    }
  }
}
