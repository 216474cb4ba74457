/** Bearer-token protection of the Control Tower API. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { NaniteError } from '@nanite/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An onRequest hook that lets a request through only with `Authorization: Bearer <token>`.
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, so neither their content nor
 * their length leaks through timing.
 */
export function bearerTokenHook(token: string): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  if (token.length === 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: '@nanite/fastify: the Control Tower token must not be empty' });
  const expected = digest(token);
  return async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1]!), expected)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="nanite-control-tower"')
      .send({ statusCode: 401, error: 'Unauthorized', message: match ? 'Invalid token' : 'A bearer token is required' });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
