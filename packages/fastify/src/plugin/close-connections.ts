/**
 * Keep-alive connections of the requests in flight when `fastify.close()` begins are closed as soon
 * as their response ends, so they do not hold `server.close()` open until the keep-alive timeout
 * (Fastify's default: 72 s). Node closes only the connections idle at the moment `close()` is
 * called, and Fastify answers the requests that arrive afterwards with `Connection: close`.
 */
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * From preClose on: a response sent from then on carries `Connection: close`; a response whose
 * headers went out before (a result stream, any streamed reply) closes its connection once its last
 * byte is written. HTTP/1 only (HTTP/2 sessions are closed by Fastify).
 */
export function closeConnectionsOnDrain(fastify: FastifyInstance): void {
  let draining = false;
  fastify.addHook('preClose', async () => {
    draining = true;
  });
  fastify.addHook('onSend', async (request, reply) => {
    if (draining && request.raw.httpVersionMajor === 1) reply.header('connection', 'close');
  });
  // onResponse runs once the response has finished (Node has already made the socket idle).
  fastify.addHook('onResponse', async (request) => {
    const socket = request.raw.socket;
    // inject()'s requests have a stand-in socket, with no connection to close.
    if (draining && request.raw.httpVersionMajor === 1 && socket instanceof Socket) socket.destroySoon();
  });
}
