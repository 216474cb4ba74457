/** Answers HTTP requests whose handler failed with a NaniteError (e.g. from MapperService) with a fitting status. */
import { STATUS_CODES } from 'node:http';
import { asNaniteError, httpStatusOf, type NaniteErrorCode } from '@nanite/core';
import { Catch, Inject, Injectable, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** Options of {@link NaniteHttpExceptionFilter} (the same as @nanite/fastify's error handler). */
export interface NaniteHttpFilterOptions {
  /** Per-code HTTP statuses that replace those of core's `NANITE_HTTP_STATUS`. */
  statusCodes?: Partial<Record<NaniteErrorCode, number>>;
  /**
   * Put the error's `data` (handler internals: remote codes, validation details, ...) in the body.
   * Default: true, except when `NODE_ENV` is `production` (read at each error), where it is left out.
   */
  exposeData?: boolean;
}

/** Injection token of the {@link NaniteHttpFilterOptions} a `NaniteHttpExceptionFilter` resolved by Nest reads (optional). */
export const NANITE_HTTP_FILTER_OPTIONS = Symbol('NANITE_HTTP_FILTER_OPTIONS');

/** The JSON body the filter sends (as @nanite/fastify's `NaniteErrorBody`). */
export interface NaniteHttpErrorBody {
  /** The HTTP status, repeated. */
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

/**
 * What `@Catch()` matches: NaniteErrors by class or by shape (one from a second copy of
 * @nanite/core), so every other error goes on to the app's other filters or Nest's default.
 */
class NaniteErrorShape {
  static [Symbol.hasInstance](value: unknown): boolean {
    return asNaniteError(value) !== undefined;
  }
}

/**
 * An HTTP exception filter for NaniteErrors: status from core's `NANITE_HTTP_STATUS` (through
 * `httpStatusOf`, with `statusCodes` overrides), body `{ statusCode, error, code, message,
 * retryable, data }`, `Retry-After: 1` on a retryable 503. Register it globally
 * (`app.useGlobalFilters(app.get(NaniteHttpExceptionFilter))`, or
 * `new NaniteHttpExceptionFilter(app.get(HttpAdapterHost), { exposeData: false })`, or as
 * `APP_FILTER`) or per controller with `@UseFilters(NaniteHttpExceptionFilter)`; options resolved by
 * Nest come from the {@link NANITE_HTTP_FILTER_OPTIONS} provider. Other errors never reach it.
 * Outside HTTP (actor calls) it rethrows, so the error still reaches the remote caller unchanged.
 */
@Catch(NaniteErrorShape)
@Injectable()
export class NaniteHttpExceptionFilter implements ExceptionFilter {
  private readonly options: NaniteHttpFilterOptions;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(NANITE_HTTP_FILTER_OPTIONS) options?: NaniteHttpFilterOptions,
  ) {
    this.options = options ?? {};
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = asNaniteError(exception);
    if (!error || host.getType() !== 'http') throw exception;
    const statusCode = httpStatusOf(error, this.options.statusCodes);
    const body: NaniteHttpErrorBody = {
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    };
    if ((this.options.exposeData ?? process.env['NODE_ENV'] !== 'production') && error.data !== undefined) body.data = error.data;
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (error.retryable && statusCode === 503) adapter.setHeader(response, 'retry-after', '1');
    adapter.reply(response, body, statusCode);
  }
}
