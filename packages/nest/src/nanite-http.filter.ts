/** Answers HTTP requests whose handler failed with a NaniteError (e.g. from MapperService) with a fitting status. */
import { NaniteError, type NaniteErrorCode } from '@nanite/core';
import { Catch, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** HTTP status for each Nanite code (codes not listed answer 500). */
export const NANITE_HTTP_STATUS: Partial<Record<NaniteErrorCode, number>> = {
  NANITE_ERR_VALIDATION: 400,
  NANITE_ERR_INVALID_ARGUMENT: 400,
  NANITE_ERR_FORBIDDEN: 403,
  NANITE_ERR_HANDLER: 500,
  NANITE_ERR_MALFORMED_PACKET: 502,
  NANITE_ERR_NO_AGENT: 503,
  NANITE_ERR_UNKNOWN_ROUTE: 503,
  NANITE_ERR_AGENT_LOST: 503,
  NANITE_ERR_SHUTTING_DOWN: 503,
  NANITE_ERR_NOT_STARTED: 503,
  NANITE_ERR_NOT_CONNECTED: 503,
  NANITE_ERR_TRANSPORT: 503,
  NANITE_ERR_TRANSPORT_AUTH: 503,
  NANITE_ERR_BUFFER_FULL: 503,
  NANITE_ERR_ABORTED: 503,
  NANITE_ERR_TIMEOUT: 504,
  NANITE_ERR_HOP_LIMIT: 508,
};

/**
 * An HTTP exception filter for NaniteErrors: status from {@link NANITE_HTTP_STATUS}, body
 * `{ statusCode, code, message, retryable, data }`. Register it globally
 * (`app.useGlobalFilters(app.get(NaniteHttpExceptionFilter))` or as `APP_FILTER`) or per controller
 * with `@UseFilters(NaniteHttpExceptionFilter)`. Outside HTTP (actor calls) it rethrows, so the
 * error still reaches the remote caller unchanged.
 */
@Catch(NaniteError)
@Injectable()
export class NaniteHttpExceptionFilter implements ExceptionFilter<NaniteError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: NaniteError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const status = NANITE_HTTP_STATUS[error.code] ?? 500;
    const adapter = this.adapterHost.httpAdapter;
    adapter.reply(host.switchToHttp().getResponse(), { statusCode: status, ...error.toJSON() }, status);
  }
}
