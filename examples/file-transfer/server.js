// File transfer through Fastify and Nanite: PUT a file, it streams into a storage agent; GET it,
// it streams back. Neither the app nor the agent holds a whole file in memory (docs/streams.md).
//
//   npm run start -w examples/file-transfer                 memory://, the storage agent in-process
//   NANITE_URL=amqp://guest:guest@127.0.0.1:5672 npm run agent -w examples/file-transfer   (elsewhere)
//   NANITE_URL=amqp://guest:guest@127.0.0.1:5672 npm run start -w examples/file-transfer
//
//   curl -T big.iso http://127.0.0.1:3000/files/big.iso     -> { name, bytes, sha256 }
//   curl -o copy.iso http://127.0.0.1:3000/files/big.iso
//
// Environment: PORT (3000), HOST (127.0.0.1), NANITE_URL (memory://file-transfer),
// STORAGE_DIR (the OS temp dir/nanite-file-transfer).
// @ts-check
'use strict';
const { nanitePlugin } = require('@nanite/fastify');
const Fastify = require('fastify');
const { storage } = require('./storage');

const url = process.env.NANITE_URL || 'memory://file-transfer';

async function main() {
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } });
  // On memory:// the app hosts the storage agent itself; on amqp:// it runs anywhere (storage-agent.js).
  await app.register(nanitePlugin, { url, ...(url.startsWith('memory:') ? { actors: [storage] } : {}), errorHandler: true });
  // Uploads reach the route as the raw request stream (no buffering of the body).
  app.addContentTypeParser('*', (_request, body, done) => done(null, body));

  /** @param {import('fastify').FastifyRequest} request */
  const nameOf = (request) => /** @type {{ name: string }} */ (request.params).name;

  // PUT /files/:name  (body: the file) -> { name, bytes, sha256 }
  app.put('/files/:name', async (request) => {
    const body = /** @type {AsyncIterable<Buffer>} */ (request.body);
    return app.nanite.request('/storage/save', { name: nameOf(request) }, { stream: body, timeout: 60_000 });
  });

  // GET /files/:name -> the file, streamed from the agent as the client reads it
  app.get('/files/:name', async (request, reply) => reply.type('application/octet-stream').send(app.nanite.stream('/storage/load', { name: nameOf(request) })));

  const address = await app.listen({ port: Number(process.env.PORT || 3000), host: process.env.HOST || '127.0.0.1' });
  app.log.info({ address }, `file transfer: PUT/GET ${address}/files/<name>`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
