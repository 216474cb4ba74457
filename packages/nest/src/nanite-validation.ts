/** ValidationPipe failures with issue paths, shaped like a Standard Schema failure. */
import { validationError, type NaniteError, type ValidationIssue } from '@nanite/core';

/** What class-validator reports (its `ValidationError`), recognised by shape: this package does not depend on it. */
export interface ClassValidatorError {
  property: string;
  constraints?: Record<string, string>;
  children?: ClassValidatorError[];
}

function collect(errors: readonly ClassValidatorError[], parent: (string | number)[], out: ValidationIssue[]): void {
  for (const error of errors) {
    // Array elements come as "0", "1", ...: numbers, as a schema's paths have them.
    const path = [...parent, /^\d+$/.test(error.property) ? Number(error.property) : error.property];
    for (const message of Object.values(error.constraints ?? {})) out.push({ path, message });
    if (error.children?.length) collect(error.children, path, out);
  }
}

/**
 * An `exceptionFactory` for Nest's `ValidationPipe`: a failing payload answers
 * `NANITE_ERR_VALIDATION` with `issues` carrying each property's path (`['holder', 'name']`,
 * `['lines', 1, 'qty']`), as a route's Standard Schema does. Over HTTP the same error maps to 400.
 * ```ts
 * @UsePipes(new ValidationPipe({ transform: true, exceptionFactory: naniteValidationException }))
 * ```
 */
export function naniteValidationException(errors: ClassValidatorError[]): NaniteError {
  const issues: ValidationIssue[] = [];
  collect(errors, [], issues);
  return validationError(issues, 'The payload', { status: 400 });
}
