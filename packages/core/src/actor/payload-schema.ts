/**
 * Runtime validation of a route's payload against its Standard Schema, before the handler runs.
 * The handler is wrapped when the route is defined, so every way an agent runs it (and every
 * framework that builds routes with defineActor) validates the same way.
 */
import { NaniteError } from '../errors';
import type { RequestContext } from '../agent/request-context';
import type { Handler } from './actor.types';
import type { StandardSchemaV1 } from './standard-schema';

/** Most issues an error carries: a huge payload must not make a huge error reply. */
export const MAX_VALIDATION_ISSUES = 20;

/** One validation problem as it crosses the wire: where (keys from the payload's root) and what. */
export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The `data` of a `NANITE_ERR_VALIDATION` error, from a schema or from Nest's `ValidationPipe`:
 * `issues` with their paths (at most {@link MAX_VALIDATION_ISSUES}; `truncated` counts the rest)
 * and the same as `messages` (`"path: message"`).
 */
export interface ValidationErrorData {
  issues: ValidationIssue[];
  messages: string[];
  truncated?: number;
  [extra: string]: unknown;
}

function pathOf(issue: StandardSchemaV1.Issue): (string | number)[] {
  return (issue.path ?? []).map((segment) => {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    // Symbols cannot cross the wire; their description is what a reader needs.
    return typeof key === 'symbol' ? String(key.description ?? 'symbol') : key;
  });
}

/** `"a.0.b: message"`, or the message alone for an issue about the whole payload. */
export function issueMessage(issue: ValidationIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/**
 * The `NANITE_ERR_VALIDATION` error for `issues` (bounded), with `extra` fields in its data
 * (e.g. the route, or Nest's status and response).
 */
export function validationError(issues: readonly ValidationIssue[], what: string, extra: Record<string, unknown> = {}): NaniteError {
  const kept = issues.slice(0, MAX_VALIDATION_ISSUES).map((i) => ({ path: [...i.path], message: String(i.message) }));
  const messages = kept.map(issueMessage);
  const data: ValidationErrorData = { ...extra, issues: kept, messages };
  if (issues.length > kept.length) data.truncated = issues.length - kept.length;
  const more = data.truncated ? ` (and ${data.truncated} more)` : '';
  return new NaniteError('NANITE_ERR_VALIDATION', { message: `${what} failed validation: ${messages.join('; ')}${more}`, data });
}

function settle(route: string, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues) {
    throw validationError(result.issues.map((i) => ({ path: pathOf(i), message: i.message })), `The payload of ${route}`, { route });
  }
  return result.value;
}

/**
 * `handler` behind `schema`: a payload that fails answers `NANITE_ERR_VALIDATION` (the handler
 * does not run); one that passes reaches the handler as the schema's output. A synchronous schema
 * keeps the handler's synchronous path.
 */
export function validatingHandler(route: string, schema: StandardSchemaV1, handler: Handler): Handler {
  return (payload: unknown, context: RequestContext) => {
    const result = schema['~standard'].validate(payload);
    if (result instanceof Promise) return result.then((r) => handler(settle(route, r), context));
    return handler(settle(route, result), context);
  };
}
