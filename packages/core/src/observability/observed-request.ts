/** The mapper's one hook per request: callbacks that tell the observers how the request ended. */
import { NaniteError } from '../errors';
import type { FanOut, MapperRequestOptions } from '../mapper/mapper.options';
import type { PendingCallbacks } from '../mapper/pending-request';
import type { FanOutSink } from '../mapper/request-reply';
import type { MapperObservation, RequestScope } from './observer';

/**
 * A request's callbacks that end its observation first. Arrow properties, not methods: the
 * mapper's code may pass `cb.reject` on as a bare function.
 */
class ObservedCallbacks implements PendingCallbacks {
  constructor(
    private readonly scope: RequestScope,
    private readonly inner: PendingCallbacks,
  ) {}

  readonly resolve = (result: unknown, agent: string, attempts: number): void => {
    this.scope.end(undefined);
    this.inner.resolve(result, agent, attempts);
  };

  readonly reject = (error: NaniteError): void => {
    this.scope.end(error instanceof NaniteError ? error : new NaniteError('NANITE_ERR_HANDLER', { cause: error }));
    this.inner.reject(error);
  };
}

/** What {@link observeRequest} hands back to the mapper. */
export interface ObservedRequest {
  options: MapperRequestOptions;
  cb: PendingCallbacks;
  fanOut: FanOutSink | undefined;
}

/**
 * Starts observing a request; undefined when no observer wants it. Otherwise the options carry the
 * observer's `traceparent` and the callbacks end the observation once (the mapper settles each
 * request once anyway).
 */
export function observeRequest(observation: MapperObservation, route: string, options: MapperRequestOptions, cb: PendingCallbacks, fanOut: FanOutSink | undefined): ObservedRequest | undefined {
  const scope = observation.begin({ route: routeName(route), kind: 'request', traceparent: options.traceparent });
  if (!scope) return undefined;
  return {
    options: scope.traceparent !== undefined ? { ...options, traceparent: scope.traceparent } : options,
    cb: new ObservedCallbacks(scope, cb),
    fanOut: fanOut && {
      gathered: (r: FanOut<unknown>) => {
        scope.end(undefined);
        fanOut.gathered(r);
      },
    },
  };
}

/** A push: observed from the call until it is sent (or refused). */
export async function observePush(observation: MapperObservation, route: string, options: MapperRequestOptions, send: (options: MapperRequestOptions) => Promise<void>): Promise<void> {
  const scope = observation.begin({ route: routeName(route), kind: 'push', traceparent: options.traceparent });
  if (!scope) return send(options);
  try {
    await send(scope.traceparent !== undefined ? { ...options, traceparent: scope.traceparent } : options);
    scope.end(undefined);
  } catch (err) {
    scope.end(err instanceof NaniteError ? err : new NaniteError('NANITE_ERR_TRANSPORT', { cause: err }));
    throw err;
  }
}

/** The route as observers see it: a caller's non-string route (refused by the mapper next) without calling its toString, which may throw. */
function routeName(route: unknown): string {
  return typeof route === 'string' ? route : `(not a string: ${typeof route})`;
}
