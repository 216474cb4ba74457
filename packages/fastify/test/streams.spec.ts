/** fastify.nanite.stream(): result streams piped to HTTP responses, request bodies uploaded as streams. */
import { createHash } from 'node:crypto';
import { defineActor, type RequestContext } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { naniteErrorHandler, nanitePlugin } from '../src';
import { busUrl } from './helpers';

const files = defineActor('files', {
  async *read(p: { size: number }) {
    for (let at = 0; at < p.size; at += 100_000) yield Buffer.alloc(Math.min(100_000, p.size - at), at % 251);
  },
  async *rows(n: number) {
    for (let i = 0; i < n; i++) yield { i };
  },
  async save(meta: { name: string }, ctx: RequestContext) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of ctx.input!) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { name: meta.name, bytes, sha256: hash.digest('hex') };
  },
});

describe('fastify.nanite.stream()', () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    app = Fastify();
    await app.register(nanitePlugin, { url: busUrl(), actors: [files] });
    app.setErrorHandler(naniteErrorHandler);
    // Request bodies of this type reach the route unparsed, as the raw stream.
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
    app.get('/download/:size', (req, reply) => reply.type('application/octet-stream').send(app.nanite.stream('/files/read', { size: Number((req.params as { size: string }).size) })));
    app.get('/rows/:n', (req, reply) => reply.type('application/x-ndjson').send(app.nanite.stream('/files/rows', Number((req.params as { n: string }).n))));
    app.get('/missing', (_req, reply) => reply.send(app.nanite.stream('/nobody/serves_this')));
    app.post('/upload/:name', (req) => app.nanite.request('/files/save', { name: (req.params as { name: string }).name }, { stream: req.body as NodeJS.ReadableStream & AsyncIterable<Buffer> }));
    await app.nanite.waitForAgents({ route: '/files/read', timeout: 2_000 });
  });

  afterEach(() => app.close());

  it('pipes a byte stream to the response', async () => {
    const res = await app.inject({ method: 'GET', url: '/download/1000000' });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.length).toBe(1_000_000);
    expect(res.rawPayload.subarray(100_000, 100_001)[0]).toBe(100_000 % 251);
  });

  it('writes JSON chunks as NDJSON lines', async () => {
    const res = await app.inject({ method: 'GET', url: '/rows/3' });
    expect(res.body).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
  });

  it('an error before the first chunk becomes the error response', async () => {
    const res = await app.inject({ method: 'GET', url: '/missing' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });

  it('uploads a request body into the handler as ctx.input', async () => {
    const body = Buffer.alloc(3_000_000, 9);
    const res = await app.inject({ method: 'POST', url: '/upload/a.bin', headers: { 'content-type': 'application/octet-stream' }, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'a.bin', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
  });
});
