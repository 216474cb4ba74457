import { defineActor, Mapper, NaniteError, type NaniteErrorCode } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { createNaniteErrorHandler, nanitePlugin, naniteErrorHandler } from '../src';
import { busUrl } from './helpers';

/** An actor whose routes fail in the ways the error handler maps. */
const failing = defineActor('fail', {
  validation: () => {
    throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'name is required', data: { field: 'name' } });
  },
  forbidden: () => {
    throw new NaniteError('NANITE_ERR_FORBIDDEN', { message: 'not yours' });
  },
  crash: () => {
    throw new RangeError('boom');
  },
  slow: (_payload, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted'))),
});

describe('Nanite errors as HTTP answers', () => {
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
  });

  async function withPlugin(errorHandler: Parameters<typeof nanitePlugin>[1]['errorHandler']): Promise<void> {
    // discoveryWindow 0: a route nobody serves fails at once instead of waiting for late agents.
    await app.register(nanitePlugin, { url: busUrl(), actors: [failing], errorHandler, mapperOptions: { discoveryWindow: 0 } });
    app.get('/call/:name', async (req) => app.nanite.request(`/fail/${(req.params as { name: string }).name}`, null, { timeout: 50 }));
    app.get('/nobody', async () => app.nanite.request('/nobody/home'));
    app.get('/plain', async () => {
      throw new Error('not nanite');
    });
    await app.ready();
    await app.nanite.waitForAgents({ route: '/fail/crash', timeout: 2_000 });
  }

  it.each<[string, number, string, NaniteErrorCode]>([
    ['no agent', 503, '/nobody', 'NANITE_ERR_NO_AGENT'],
    ['a timeout', 504, '/call/slow', 'NANITE_ERR_TIMEOUT'],
    ['a validation error', 400, '/call/validation', 'NANITE_ERR_VALIDATION'],
    ['a forbidden call', 403, '/call/forbidden', 'NANITE_ERR_FORBIDDEN'],
    ['a handler that threw', 502, '/call/crash', 'NANITE_ERR_HANDLER'],
  ])('maps %s to %d with the code in the body', async (_what, status, url, code) => {
    await withPlugin(true);

    const res = await app.inject({ method: 'GET', url });

    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ statusCode: status, code, retryable: expect.any(Boolean), message: expect.any(String) });
  });

  it('puts the error data in the body and a Retry-After on retryable 503s', async () => {
    await withPlugin(true);

    const invalid = await app.inject({ method: 'GET', url: '/call/validation' });
    const noAgent = await app.inject({ method: 'GET', url: '/nobody' });
    const crash = await app.inject({ method: 'GET', url: '/call/crash' });

    expect(invalid.json()).toEqual({ statusCode: 400, error: 'Bad Request', code: 'NANITE_ERR_VALIDATION', message: 'name is required', retryable: false, data: { field: 'name' } });
    expect(noAgent.headers['retry-after']).toBe('1');
    expect(noAgent.json()).toMatchObject({ error: 'Service Unavailable', data: { route: '/nobody/home' } });
    expect(crash.json()).toMatchObject({ message: 'boom', data: { name: 'RangeError', message: 'boom' } });
  });

  it("leaves other errors to Fastify's own handler", async () => {
    await withPlugin(true);

    const res = await app.inject({ method: 'GET', url: '/plain' });

    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'not nanite' });
  });

  it('takes per-code status overrides and can hide data', async () => {
    await withPlugin({ statusCodes: { NANITE_ERR_HANDLER: 500 }, exposeData: false });

    const res = await app.inject({ method: 'GET', url: '/call/crash' });

    expect(res.statusCode).toBe(500);
    expect(res.json()).not.toHaveProperty('data');
  });

  describe('with NODE_ENV=production', () => {
    const saved = process.env['NODE_ENV'];
    beforeEach(() => { process.env['NODE_ENV'] = 'production'; });
    afterEach(() => {
      if (saved === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = saved;
    });

    it('leaves the handler internals (data) out of the body by default', async () => {
      await withPlugin(true);

      const crash = await app.inject({ method: 'GET', url: '/call/crash' });
      const viaExport = Fastify();
      viaExport.setErrorHandler(naniteErrorHandler);
      viaExport.get('/', async () => { throw new NaniteError('NANITE_ERR_HANDLER', { message: 'failed', data: { name: 'TypeError', message: 'db password rejected' } }); });
      const exported = await viaExport.inject({ method: 'GET', url: '/' });
      await viaExport.close();

      expect(crash.statusCode).toBe(502);
      expect(crash.json()).toEqual({ statusCode: 502, error: 'Bad Gateway', code: 'NANITE_ERR_HANDLER', message: 'boom', retryable: false });
      expect(exported.json()).not.toHaveProperty('data');
      expect(exported.body).not.toContain('password');
    });

    it('still shows data when exposeData: true is asked for', async () => {
      await withPlugin({ exposeData: true });

      const crash = await app.inject({ method: 'GET', url: '/call/crash' });

      expect(crash.json()).toMatchObject({ data: { name: 'RangeError', message: 'boom' } });
    });
  });

  it('is off unless asked for', async () => {
    await withPlugin(undefined);

    const res = await app.inject({ method: 'GET', url: '/nobody' });

    expect(res.statusCode).toBe(500); // Fastify's default handler knows nothing of Nanite codes
    expect(res.json()).toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
  });

  it('works standalone in an encapsulated scope, without the plugin', async () => {
    await app.register(async (scope) => {
      scope.setErrorHandler(naniteErrorHandler);
      scope.get('/denied', async () => {
        throw new NaniteError('NANITE_ERR_FORBIDDEN');
      });
    });
    app.get('/outside', async () => {
      throw new NaniteError('NANITE_ERR_FORBIDDEN');
    });

    const inside = await app.inject({ method: 'GET', url: '/denied' });
    const outside = await app.inject({ method: 'GET', url: '/outside' });

    expect(inside.statusCode).toBe(403);
    expect(inside.json()).toMatchObject({ code: 'NANITE_ERR_FORBIDDEN' });
    expect(outside.statusCode).toBe(500);
  });

  // statusCodes with 99 made every mapped error a 500 FST_ERR_BAD_STATUS_CODE; a string '504'
  // leaked `"statusCode":"504"` into the bodies.
  it.each<[string, unknown]>([
    ['99', 99],
    ['600', 600],
    ['503.5', 503.5],
    ["a string '504'", '504'],
    ['null', null],
  ])('refuses errorHandler.statusCodes with %s at registration, naming the code, before anything connects', async (_what, status) => {
    const mapper = new Mapper({ transport: busUrl(), discoveryWindow: 0 });

    await expect(
      app.register(nanitePlugin, { mapper, errorHandler: { statusCodes: { NANITE_ERR_NO_AGENT: 503, NANITE_ERR_TIMEOUT: status as number } } }).ready(),
    ).rejects.toMatchObject({
      name: 'NaniteError',
      code: 'NANITE_ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('errorHandler.statusCodes.NANITE_ERR_TIMEOUT must be an HTTP status, an integer from 100 to 599'),
    });
    expect(mapper.isRunning).toBe(false);
  });

  it('refuses a statusCodes key that is not a Nanite error code (a typo, or an application code the mapper receives as NANITE_ERR_HANDLER): it used to be ignored', () => {
    expect(() => createNaniteErrorHandler({ statusCodes: { NANITE_ERR_HANDELR: 502 } as never })).toThrow(
      expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('statusCodes.NANITE_ERR_HANDELR is not a Nanite error code') }),
    );
    expect(() => createNaniteErrorHandler({ statusCodes: { E_MY_APP: 409 } as never })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT' }));
  });

  it('refuses a bad status in createNaniteErrorHandler too, and takes 100 and 599', () => {
    expect(() => createNaniteErrorHandler({ statusCodes: { NANITE_ERR_HANDLER: 99 } })).toThrow(
      expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('statusCodes.NANITE_ERR_HANDLER must be an HTTP status') }),
    );
    expect(() => createNaniteErrorHandler({ exposeData: 'no' as unknown as boolean })).toThrow(expect.objectContaining({ message: expect.stringContaining('exposeData must be true or false') }));
    expect(() => createNaniteErrorHandler({ statusCodes: { NANITE_ERR_HANDLER: 100, NANITE_ERR_TIMEOUT: 599 } })).not.toThrow();
  });

  it('recognises a NaniteError from another copy of core by its shape', async () => {
    app.setErrorHandler(createNaniteErrorHandler());
    app.get('/foreign', async () => {
      const foreign = Object.assign(new Error('from elsewhere'), { name: 'NaniteError', code: 'NANITE_ERR_TIMEOUT', retryable: true });
      throw foreign;
    });

    const res = await app.inject({ method: 'GET', url: '/foreign' });

    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ code: 'NANITE_ERR_TIMEOUT', message: 'from elsewhere', retryable: true });
  });
});
