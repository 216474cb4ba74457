/** A Fastify error handler that turns NaniteErrors into HTTP answers. */
import { STATUS_CODES } from 'node:http';
import { ERROR_CODES, isNaniteErrorCode, NaniteError, type NaniteErrorCode } from '@nanite/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asNaniteError, httpStatusOf } from './http-status';

/** The JSON body the error handler sends for a NaniteError. */
export interface NaniteErrorBody {
  /** The HTTP status, repeated (Fastify's error shape). */
  statusCode: number;
  /** The HTTP reason phrase, e.g. `Service Unavailable`. */
  error: string;
  /** The Nanite code, e.g. `NANITE_ERR_NO_AGENT`. */
  code: NaniteErrorCode;
  message: string;
  /** Whether the same call may succeed later. */
  retryable: boolean;
  /** Structured details from the error (absent when it has none or `exposeData` is false). */
  data?: unknown;
}

/** Options of {@link createNaniteErrorHandler}. */
export interface NaniteErrorHandlerOptions {
  /** Per-code HTTP statuses (integers 100-599) that replace those of `NANITE_HTTP_STATUS`. */
  statusCodes?: Partial<Record<NaniteErrorCode, number>>;
  /**
   * Put the error's `data` (handler internals: remote codes, validation details, ...) in the body.
   * Default: true, except when `NODE_ENV` is `production` (read at each error), where it is left out.
   */
  exposeData?: boolean;
}

/** The handler's signature, as `fastify.setErrorHandler()` takes it. */
export type NaniteErrorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply) => FastifyReply;

/**
 * Builds an error handler mapping NaniteErrors to HTTP (503 no agent, 504 timeout, 400 validation,
 * ... see `NANITE_HTTP_STATUS`) with `{ statusCode, error, code, message, retryable, data }` as
 * body. Any other error is re-thrown, so Fastify hands it to the parent (by default: Fastify's own)
 * error handler unchanged.
 *
 * ```ts
 * app.setErrorHandler(createNaniteErrorHandler({ statusCodes: { NANITE_ERR_HANDLER: 500 } }));
 * ```
 */
export function createNaniteErrorHandler(options: NaniteErrorHandlerOptions = {}): NaniteErrorHandler {
  checkErrorHandlerOptions(options);
  return function naniteErrorHandler(error, request, reply) {
    const nanite = asNaniteError(error);
    if (!nanite) throw error;
    const statusCode = httpStatusOf(nanite, options.statusCodes);
    const body: NaniteErrorBody = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      code: nanite.code,
      message: nanite.message,
      retryable: nanite.retryable,
    };
    const exposeData = options.exposeData ?? process.env['NODE_ENV'] !== 'production';
    if (exposeData && nanite.data !== undefined) body.data = nanite.data;
    const log = { err: nanite, code: nanite.code, statusCode };
    if (statusCode >= 500) request.log.warn(log, 'nanite call failed');
    else request.log.info(log, 'nanite call rejected');
    if (nanite.retryable && statusCode === 503) reply.header('retry-after', '1');
    return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
  };
}

/** {@link createNaniteErrorHandler} with default options: `app.setErrorHandler(naniteErrorHandler)`. */
export const naniteErrorHandler: NaniteErrorHandler = createNaniteErrorHandler();

/**
 * Throws `NANITE_ERR_INVALID_ARGUMENT` naming the bad option (`prefix` + its name): a status outside
 * 100-599 or not an integer would make Fastify answer every mapped error 500
 * (FST_ERR_BAD_STATUS_CODE), and a string would be echoed as `"statusCode":"504"` in bodies.
 */
export function checkErrorHandlerOptions(options: unknown, prefix = ''): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalid(`${prefix === '' ? 'the options' : prefix.slice(0, -1)} must be an object { statusCodes, exposeData }`);
  const { statusCodes, exposeData } = options as Record<string, unknown>;
  if (exposeData !== undefined && typeof exposeData !== 'boolean') invalid(`${prefix}exposeData must be true or false; got ${typeof exposeData}`);
  if (statusCodes === undefined) return;
  if (typeof statusCodes !== 'object' || statusCodes === null || Array.isArray(statusCodes)) invalid(`${prefix}statusCodes must be an object of code: status (e.g. { NANITE_ERR_HANDLER: 500 })`);
  for (const [code, status] of Object.entries(statusCodes)) {
    // A typo (NANITE_ERR_HANDELR) or an application's own code (the mapper receives those as NANITE_ERR_HANDLER) would never match.
    if (!isNaniteErrorCode(code)) invalid(`${prefix}statusCodes.${JSON.stringify(code.slice(0, 60)).slice(1, -1)} is not a Nanite error code (one of ${Object.keys(ERROR_CODES).join(', ')})`);
    if (status === undefined) continue;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      invalid(`${prefix}statusCodes.${code} must be an HTTP status, an integer from 100 to 599; got ${typeof status === 'string' ? JSON.stringify(status.slice(0, 60)) : String(status)}`);
    }
  }
}

function invalid(message: string): never {
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `@nanite/fastify: ${message}` });
}
