/**
 * The Control Tower's options, checked once at registration: a bad one fails with
 * `NANITE_ERR_INVALID_ARGUMENT` naming it, rather than a TypeError on the first request, a Fastify
 * schema error, a timer firing every millisecond or a security check silently off.
 */
import { NaniteError } from '@nanite/core';
import type { ControlTowerOptions } from './control-tower.options';

/** The largest delay Node's timers take: anything above (Infinity included) fires after 1 ms. */
const MAX_INTEGER_OPTION = 2 ** 31 - 1;

/** Times (ms, or s for `chartWindow`) and sizes: positive integers up to {@link MAX_INTEGER_OPTION}. */
const INTEGER_OPTIONS = [
  'downRetention',
  'maxDownAgents',
  'maxEventStreams',
  'maxStreamBuffer',
  'maxRequestBuffer',
  'maxRequests',
  'heartbeatInterval',
  'maxTimeout',
  'chartWindow',
  'maxChartRoutes',
  'maxChartAgents',
] as const satisfies ReadonlyArray<keyof ControlTowerOptions>;

/** What the tower calls on its mapper (checked by shape, so a second copy of @nanite/core counts too). */
const MAPPER_METHODS = ['on', 'off', 'agents', 'roster', 'observe', 'call'] as const;

/**
 * Throws `NANITE_ERR_INVALID_ARGUMENT` naming the first bad option. `auth` is undefined (no auth:
 * only loopback and `allowedHosts` Host names are answered), a non-empty token or a function;
 * anything else (`null`, `false`, `''` from an unset variable) would otherwise leave the API open.
 */
export function checkControlTowerOptions(options: ControlTowerOptions): void {
  const o = options as Record<string, unknown>;
  const auth = o['auth'];
  if (auth !== undefined && typeof auth !== 'function') {
    if (typeof auth !== 'string') invalid('auth', describe(auth), 'must be a bearer token (a non-empty string), a function (request, reply), or left out (undefined: no auth, loopback Host names only)');
    if (auth.length === 0) invalid('auth', '""', 'is invalid: the Control Tower token must not be empty (an unset variable?); leave auth out (undefined) for a tower without auth');
    // The token itself is never put in the message.
    if (/\s/.test(auth)) invalid('auth', 'a token with whitespace', 'is invalid: the Control Tower token must not contain whitespace (no `Authorization: Bearer` header could carry it)');
  }
  for (const name of ['prefix', 'title'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'string') invalid(name, describe(o[name]), 'must be a string');
  }
  if (o['readOnly'] !== undefined && typeof o['readOnly'] !== 'boolean') invalid('readOnly', describe(o['readOnly']), 'must be true or false');
  for (const name of INTEGER_OPTIONS) {
    const value = o[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_INTEGER_OPTION) {
      invalid(name, describe(value), `must be a positive integer up to ${MAX_INTEGER_OPTION}`);
    }
  }
  const mapper = o['mapper'];
  if (mapper !== undefined) {
    const missing = typeof mapper === 'object' && mapper !== null ? MAPPER_METHODS.filter((m) => typeof (mapper as Record<string, unknown>)[m] !== 'function') : [...MAPPER_METHODS];
    if (missing.length > 0) invalid('mapper', describe(mapper), `must be a Mapper of @nanite/core (missing ${missing.join(', ')}), or left out to use fastify.nanite.mapper`);
  }
}

/** `rule` reads after the option's name: `must be ...` or `is invalid: ...`. */
function invalid(option: string, shown: string, rule: string): never {
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
    message: `@nanite/fastify: naniteControlTower option ${option} ${rule}; got ${shown}`,
    data: { option },
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  return Array.isArray(value) ? 'an array' : 'an object';
}
