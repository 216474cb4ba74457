/**
 * The errors of option checks: `NANITE_ERR_INVALID_ARGUMENT` saying what the option must be and
 * what it got, `data.option` naming it. `label` is what the message calls it (`amqp:// option
 * heartbeat`, `roster.maxEntries`); `option` is its name in `data`.
 */
import { NaniteError } from '../errors';

/**
 * A caller's value for an error message without calling its toString (which may throw: a
 * null-prototype object, a revoked Proxy): objects by their tag, the rest by String(). Never throws.
 */
export function shownValue(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
  } catch {
    return typeof value; // a revoked Proxy
  }
}

/**
 * A caller's value as `String()` prints it; where that throws (a null-prototype object, a revoked
 * Proxy), as {@link shownValue} shows it. Never throws.
 */
export function printedValue(value: unknown): string {
  try {
    return String(value);
  } catch {
    return shownValue(value);
  }
}

/** Throws the error of an option that is not what it must be. */
export function invalidOption(option: string, expected: string, value: unknown, label = option): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : printedValue(value);
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${label} must be ${expected}, got ${shown}`, data: { option } });
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkIntegerOption(option: string, value: unknown, min: number, max: number, label = option): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalidOption(option, `an integer in [${min}, ${max}]`, value, label);
}
