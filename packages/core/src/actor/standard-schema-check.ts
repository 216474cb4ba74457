/** Runtime recognition of a Standard Schema. */
import type { StandardSchemaV1 } from './standard-schema';

/** True for an object implementing Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const std = (value as Partial<StandardSchemaV1>)['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}
