/** How Nanite error codes become HTTP statuses. */
import { isNaniteErrorCode, NaniteError, type NaniteErrorCode } from './errors';

/**
 * The HTTP status of each Nanite error code, shared by @nanite/fastify's error handler and @nanite/nest's HTTP filter so every framework in front of a cluster answers alike.
 *
 * - 503: nothing can serve the call right now (no agent, shutting down, broker trouble); retry later.
 * - 504: the call did not complete in time.
 * - 400 / 403: the caller's fault (bad payload or options, denied).
 * - 502: the remote side failed (the handler threw, the agent died, a bad packet).
 * - 508: a call cycle between actors (hop limit).
 * - 499: the caller cancelled (usually the HTTP client went away; nobody reads this reply).
 * - 500: a configuration or programming error of this server (unsupported transport, refused credentials, a faulty selector).
 */
export const NANITE_HTTP_STATUS = {
  NANITE_ERR_NO_AGENT: 503,
  NANITE_ERR_UNKNOWN_ROUTE: 503,
  NANITE_ERR_TIMEOUT: 504,
  NANITE_ERR_ABORTED: 499,
  NANITE_ERR_HANDLER: 502,
  NANITE_ERR_AGENT_LOST: 502,
  NANITE_ERR_HOP_LIMIT: 508,
  NANITE_ERR_VALIDATION: 400,
  NANITE_ERR_FORBIDDEN: 403,
  NANITE_ERR_CERTIFICATE: 500,
  NANITE_ERR_INVALID_ARGUMENT: 400,
  NANITE_ERR_MALFORMED_PACKET: 502,
  NANITE_ERR_SHUTTING_DOWN: 503,
  NANITE_ERR_NOT_STARTED: 503,
  NANITE_ERR_UNSUPPORTED_TRANSPORT: 500,
  NANITE_ERR_TRANSPORT: 503,
  NANITE_ERR_TRANSPORT_AUTH: 500,
  NANITE_ERR_NOT_CONNECTED: 503,
  NANITE_ERR_BUFFER_FULL: 503,
  NANITE_ERR_PAYLOAD: 400,
  NANITE_ERR_OVERLOADED: 503,
  NANITE_ERR_SELECTOR: 500,
  NANITE_ERR_MISSING_DEPENDENCY: 500,
  NANITE_ERR_STREAM: 502,
} as const satisfies Record<NaniteErrorCode, number>;

/**
 * The NaniteError inside `error`, or undefined. Recognises errors by shape as well as by class,
 * so an error from a second copy of @nanite/core (another version in node_modules) still maps.
 */
export function asNaniteError(error: unknown): NaniteError | undefined {
  if (error instanceof NaniteError) return error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; retryable?: unknown; data?: unknown };
  if (e.name !== 'NaniteError' || !isNaniteErrorCode(e.code)) return undefined;
  return new NaniteError(e.code, {
    message: typeof e.message === 'string' ? e.message : undefined,
    retryable: typeof e.retryable === 'boolean' ? e.retryable : undefined,
    data: e.data,
    cause: error,
  });
}

/**
 * The HTTP status for a Nanite error code. `overrides` wins over {@link NANITE_HTTP_STATUS}; a
 * code in neither (one added to core later) maps to 503 when retryable, else 500.
 */
export function httpStatusOf(error: NaniteError, overrides: Partial<Record<NaniteErrorCode, number>> = {}): number {
  const table: Partial<Record<NaniteErrorCode, number>> = NANITE_HTTP_STATUS;
  return overrides[error.code] ?? table[error.code] ?? (error.retryable ? 503 : 500);
}
