/**
 * DNS-rebinding protection of a Control Tower without auth: a page on `evil.example` whose name
 * the attacker re-points at 127.0.0.1 is same-origin with the tower as far as the browser knows, but
 * its requests still carry `Host: evil.example`. Browsers never let a page set Host, so answering only
 * the names this machine uses for itself keeps such pages out.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The Host names a tower without auth answers: this machine's loopback names. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** The name part of a Host header, lower-cased, without port or trailing dot (`[::1]:4000` -> `[::1]`). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/**
 * An onRequest hook that answers 403 to a request whose Host header names none of `allowed`
 * (compared as {@link hostName}s; HTTP/2's `:authority` when there is no Host). A request with
 * neither (HTTP/1.0 tools; no browser sends one) goes through.
 */
export function hostGuardHook(allowed: readonly string[]): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const names = new Set(allowed.map(hostName));
  const list = [...names].join(', ');
  return async (request, reply) => {
    // The raw header, not request.host: with trustProxy that comes from X-Forwarded-Host, which a
    // rebinding page (same-origin to the browser) may set itself.
    const raw = request.raw.headers;
    // HTTP/2 carries the name in :authority (browsers may send no Host there).
    const authority = raw[':authority'];
    const header = raw.host ?? (typeof authority === 'string' ? authority : undefined);
    if (header === undefined || names.has(hostName(header))) return;
    return reply.code(403).send({
      statusCode: 403,
      error: 'Forbidden',
      message:
        `Host "${header.slice(0, 100)}" is not allowed: a Control Tower without auth answers only ${list} (protection against DNS rebinding). ` +
        'Open it under one of those names, or configure `auth` (a token) or `allowedHosts`.',
    });
  };
}
