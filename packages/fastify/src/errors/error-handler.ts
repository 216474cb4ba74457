/** A Fastify error handler that turns NaniteErrors into HTTP answers. */
import { STATUS_CODES } from 'node:http';
import type { NaniteErrorCode } from '@nanite/core';
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
  /** Per-code HTTP statuses that replace those of `NANITE_HTTP_STATUS`. */
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
