/**
 * DNS-rebinding protection of a Control Tower without auth: a page on `evil.example` whose name
 * the attacker re-points at 127.0.0.1 is same-origin with the tower as far as the browser knows, but
 * its requests still carry `Host: evil.example`. Browsers never let a page set Host, so answering only
 * the names this machine uses for itself keeps such pages out.
 */
import { NaniteError } from '@nanite/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allowedHostName, hostName } from './host-name';

/** The Host names a tower without auth answers: this machine's loopback names. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The `allowedHosts` option checked and in the form the hook compares (`::1` -> `[::1]`): a list of
 * names, else `NANITE_ERR_INVALID_ARGUMENT` (a string, a URL, an empty name would never match).
 */
export function allowedHostNames(option: unknown): string[] {
  if (option === undefined) return [];
  if (!Array.isArray(option)) invalid(`allowedHosts must be a list of host names or 'any', not ${typeof option === 'string' ? JSON.stringify(option) : typeof option}`);
  return option.map((entry: unknown) => {
    const name = typeof entry === 'string' ? allowedHostName(entry) : undefined;
    if (name === undefined) {
      invalid(
        `allowedHosts: ${typeof entry === 'string' ? JSON.stringify(entry.slice(0, 100)) : typeof entry} is not a host name ` +
          '(give names as a Host header carries them, without scheme or path: tower.internal, 10.0.0.7, ::1 or [::1])',
      );
    }
    return name;
  });
}

/**
 * An onRequest hook that answers 403 to a request whose Host header names none of `allowed`
 * (compared as {@link hostName}s, so `[::1]:4000` matches `::1` and `[::1]`; HTTP/2's `:authority`
 * when there is no Host). A request with neither (HTTP/1.0 tools; no browser sends one) goes
 * through. `allowed` is checked as {@link allowedHostNames} checks it.
 */
export function hostGuardHook(allowed: readonly string[]): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const names = new Set(allowedHostNames(allowed));
  const list = [...names].join(', ');
  return async (request, reply) => {
    // The raw header, not request.host: with trustProxy that comes from X-Forwarded-Host, which a
    // rebinding page (same-origin to the browser) may set itself.
    const raw = request.raw.headers;
    // HTTP/2 carries the name in :authority (browsers may send no Host there).
    const authority = raw[':authority'];
    const header = raw.host ?? (typeof authority === 'string' ? authority : undefined);
    if (header === undefined) return;
    const name = hostName(header);
    if (name !== '' && names.has(name)) return;
    return reply.code(403).send({
      statusCode: 403,
      error: 'Forbidden',
      message:
        `Host "${header.slice(0, 100)}" is not allowed: a Control Tower without auth answers only ${list} (protection against DNS rebinding). ` +
        'Open it under one of those names, or configure `auth` (a token) or `allowedHosts`.',
    });
  };
}

function invalid(message: string): never {
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `@nanite/fastify: ${message}` });
}
