/**
 * Deep equality of plain data that ignores which realm built the objects. Test runners such as
 * Jest run test files in their own realm, so a packet the transport rebuilt (structuredClone,
 * JSON.parse in another realm) has another `Object.prototype` than the literal it is compared to,
 * and `assert.deepStrictEqual` would fail with "no visual difference".
 */
import { deepStrictEqual } from 'node:assert/strict';

/** Rebuilds arrays and objects in this realm; primitives stay as they are (compared strictly). */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) {
    // Not value.map(): it would build the copy with the other realm's Array.
    const out: unknown[] = [];
    for (const item of value as unknown[]) out.push(plain(item));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** `assert.deepStrictEqual` on the plain-data form of both values. */
export function same(actual: unknown, expected: unknown, message?: string): void {
  deepStrictEqual(plain(actual), plain(expected), message);
}
