/** Reading an actor call from a guard, interceptor or exception filter. */
import { NaniteError, type RequestContext } from '@nanite/core';
import type { ArgumentsHost } from '@nestjs/common';
import { NANITE_CONTEXT_TYPE, type NaniteContextType } from './nanite.constants';

/** What an actor call carries: the payload as sent (before pipes) and its request context. */
export interface NaniteCallArguments {
  payload: unknown;
  context: RequestContext;
}

/** True when `host` describes a call to an actor method (`host.getType() === 'nanite'`). */
export function isNaniteCall(host: ArgumentsHost): boolean {
  return host.getType<NaniteContextType>() === NANITE_CONTEXT_TYPE;
}

/**
 * The payload and request context of an actor call, for guards and interceptors:
 * ```ts
 * canActivate(ctx: ExecutionContext) {
 *   if (!isNaniteCall(ctx)) return true;
 *   const { payload, context } = naniteArguments(ctx);
 *   return context.hops === 0 || isTrusted(payload);
 * }
 * ```
 * `host.switchToRpc().getData()` / `.getContext()` return the same two values.
 * Throws `NANITE_ERR_INVALID_ARGUMENT` for a host of another type (HTTP, WebSocket, RPC).
 */
export function naniteArguments(host: ArgumentsHost): NaniteCallArguments {
  if (!isNaniteCall(host)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Expected a "${NANITE_CONTEXT_TYPE}" execution context, got "${host.getType()}"` });
  }
  return { payload: host.getArgByIndex<unknown>(0), context: host.getArgByIndex<RequestContext>(1) };
}
