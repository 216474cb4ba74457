import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A short random suffix, hex. */
export function randomSuffix(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

/** A generated identity: readable (host and pid) and unique (random suffix). */
export function generateIdentity(kind: 'agent' | 'mapper'): string {
  return `${kind}-${hostname()}-${process.pid}-${randomSuffix()}`;
}
