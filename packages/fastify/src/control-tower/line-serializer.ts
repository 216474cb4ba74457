/**
 * Turns a Control Tower answer line into one NDJSON line without ever throwing: results, progress
 * values and error data are whatever actors produced (on memory:// they are not even copied), so
 * they may hold BigInts, cycles or a throwing `toJSON`.
 */
import type { TowerLine } from './request-runner';

/** BigInts become their decimal string (JSON has no integer type wide enough). */
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** `value` when it serializes, else a string saying what it was and why it could not be sent. */
function serializable(value: unknown): unknown {
  try {
    JSON.stringify(value, bigintAsString);
    return value;
  } catch (err) {
    return `[unserializable ${typeof value}: ${err instanceof Error ? err.message : String(err)}]`;
  }
}

/**
 * The JSON text of `line` (no trailing newline). BigInts are written as decimal strings; a result,
 * progress value or error data that still cannot be serialized (a cycle, a throwing `toJSON`) is
 * replaced by a string describing the failure, so the line (and the stream) always goes out.
 */
export function serializeLine(line: TowerLine): string {
  try {
    return JSON.stringify(line, bigintAsString);
  } catch {
    // Fall through: only the actor-supplied parts can fail; replace them one by one.
  }
  let safe: TowerLine;
  switch (line.type) {
    case 'progress':
      safe = { ...line, value: serializable(line.value) };
      break;
    case 'result':
      safe = line.ok
        ? { ...line, result: serializable(line.result) }
        : { ...line, error: { code: line.error.code, message: String(line.error.message), retryable: line.error.retryable, ...(line.error.data === undefined ? {} : { data: serializable(line.error.data) }) } };
      break;
    default:
      safe = line;
  }
  return JSON.stringify(safe, bigintAsString);
}
