/** Turns what a Nest pipeline throws (HttpException, RpcException, anything) into a NaniteError for the caller. */
import { isNaniteErrorCode, NaniteError, toNaniteError, validationError, type NaniteErrorCode, type ValidationIssue } from '@nanite/core';
import { HttpException, HttpStatus } from '@nestjs/common';

function messagesOf(response: unknown, fallback: string): string[] {
  if (typeof response === 'object' && response !== null) {
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
    if (typeof message === 'string') return [message];
  }
  if (typeof response === 'string') return [response];
  return [fallback];
}

function isIssue(value: unknown): value is ValidationIssue {
  if (typeof value !== 'object' || value === null) return false;
  const { path, message } = value as Partial<ValidationIssue>;
  return typeof message === 'string' && Array.isArray(path) && path.every((k) => typeof k === 'string' || typeof k === 'number');
}

/** The issues of a validation failure: the response's own (with paths) when it has them, else one per message. */
function issuesOf(response: unknown, messages: string[]): ValidationIssue[] {
  const issues = typeof response === 'object' && response !== null ? (response as { issues?: unknown }).issues : undefined;
  if (Array.isArray(issues) && issues.length > 0 && issues.every(isIssue)) return issues;
  return messages.map((message) => ({ path: [], message }));
}

function codeForStatus(status: number): NaniteErrorCode {
  if (status === HttpStatus.BAD_REQUEST || status === HttpStatus.UNPROCESSABLE_ENTITY) return 'NANITE_ERR_VALIDATION';
  if (status === HttpStatus.UNAUTHORIZED || status === HttpStatus.FORBIDDEN) return 'NANITE_ERR_FORBIDDEN';
  return 'NANITE_ERR_HANDLER';
}

function fromHttpException(err: HttpException): NaniteError {
  const status = err.getStatus();
  const response = err.getResponse();
  const code = codeForStatus(status);
  const messages = messagesOf(response, err.message);
  const extra: Record<string, unknown> = { name: err.name, status };
  if (typeof response === 'object' && response !== null) extra.response = response;
  // The same shape as a schema failure (issues with paths, messages), plus Nest's status and response.
  if (code === 'NANITE_ERR_VALIDATION') return withCause(validationError(issuesOf(response, messages), 'The payload', extra), err);
  return new NaniteError(code, { message: err.message, data: { ...extra, messages }, cause: err });
}

function withCause(error: NaniteError, cause: unknown): NaniteError {
  return new NaniteError(error.code, { message: error.message, data: error.data, cause });
}

/** @nestjs/microservices' RpcException, recognised by shape so this package does not depend on it. */
interface RpcExceptionLike extends Error {
  getError(): string | object;
}

function isRpcException(err: unknown): err is RpcExceptionLike {
  return err instanceof Error && err.name === 'RpcException' && typeof (err as Partial<RpcExceptionLike>).getError === 'function';
}

function fromRpcException(err: RpcExceptionLike): NaniteError {
  const error = err.getError();
  if (typeof error === 'object' && error !== null) {
    const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
    // An RpcException that already names a Nanite code keeps it (e.g. new RpcException({ code: 'NANITE_ERR_FORBIDDEN' })).
    if (isNaniteErrorCode(code)) return new NaniteError(code, { ...(typeof message === 'string' ? { message } : {}), data, cause: err });
  }
  const message = typeof error === 'string' ? error : err.message;
  return new NaniteError('NANITE_ERR_HANDLER', { message, data: { name: 'RpcException', message, error }, cause: err });
}

/**
 * Maps an error thrown by an actor method or its guards, pipes, interceptors and filters:
 * - `NaniteError`: unchanged;
 * - `HttpException` 400/422 (what `ValidationPipe` and the `Parse*Pipe`s throw): `NANITE_ERR_VALIDATION`,
 *   `data` shaped as a schema failure's (`issues` with paths — empty unless the pipe used
 *   {@link naniteValidationException} — and `messages`), plus `status` and `response`;
 * - `HttpException` 401/403 (a guard that returned false throws `ForbiddenException`): `NANITE_ERR_FORBIDDEN`;
 * - other `HttpException`s: `NANITE_ERR_HANDLER` with `data.status` and `data.response`;
 * - `RpcException`: its `{ code }` when that is a Nanite code, else `NANITE_ERR_HANDLER` with `data.error`;
 * - anything else: core's `toNaniteError` (`NANITE_ERR_HANDLER`, original name/message/code/data kept).
 */
export function nestErrorToNanite(err: unknown): NaniteError {
  if (err instanceof NaniteError) return err;
  if (err instanceof HttpException) return fromHttpException(err);
  if (isRpcException(err)) return fromRpcException(err);
  return toNaniteError(err);
}
