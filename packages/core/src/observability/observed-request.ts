/** The mapper's one hook per request: callbacks that tell the observers how the request ended. */
import { NaniteError } from '../errors';
import type { FanOut, MapperRequestOptions } from '../mapper/mapper.options';
import type { PendingCallbacks } from '../mapper/pending-request';
import type { MapperObservation } from './observer';

/** What {@link observeRequest} hands back to the mapper. */
export interface ObservedRequest {
  options: MapperRequestOptions;
  cb: PendingCallbacks;
  fanOut: ((r: FanOut<unknown>) => void) | undefined;
}

/**
 * Starts observing a request: the options gain the observer's `traceparent`, the callbacks end the
 * observation once (whichever settles first; the mapper settles each request once anyway).
 */
export function observeRequest(observation: MapperObservation, route: string, options: MapperRequestOptions, cb: PendingCallbacks, fanOut: ((r: FanOut<unknown>) => void) | undefined): ObservedRequest {
  const scope = observation.begin({ route: typeof route === 'string' ? route : String(route), kind: 'request', traceparent: options.traceparent });
  if (!scope) return { options, cb, fanOut };
  return {
    options: scope.traceparent !== undefined ? { ...options, traceparent: scope.traceparent } : options,
    cb: {
      resolve: (result, agent, attempts) => {
        scope.end(undefined);
        cb.resolve(result, agent, attempts);
      },
      reject: (error) => {
        scope.end(error instanceof NaniteError ? error : new NaniteError('NANITE_ERR_HANDLER', { cause: error }));
        cb.reject(error);
      },
    },
    fanOut: fanOut && ((r) => {
      scope.end(undefined);
      fanOut(r);
    }),
  };
}

/** A push: observed from the call until it is sent (or refused). */
export async function observePush(observation: MapperObservation, route: string, options: MapperRequestOptions, send: (options: MapperRequestOptions) => Promise<void>): Promise<void> {
  const scope = observation.begin({ route: typeof route === 'string' ? route : String(route), kind: 'push', traceparent: options.traceparent });
  if (!scope) return send(options);
  try {
    await send(scope.traceparent !== undefined ? { ...options, traceparent: scope.traceparent } : options);
    scope.end(undefined);
  } catch (err) {
    scope.end(err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { cause: err }));
    throw err;
  }
}
