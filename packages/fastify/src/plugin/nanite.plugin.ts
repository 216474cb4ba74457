/** The @nanite/fastify plugin: `fastify.nanite`, a hosted agent, ordered drain, error mapping. */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createNaniteErrorHandler } from '../errors/error-handler';
import type { FastifyNanite } from './nanite-handle';
import { NaniteHandle } from './nanite-handle';
import { checkPluginOptions } from './check-options';
import { closeConnectionsOnDrain } from './close-connections';
import { addMetricsRoute, metricsFor } from './metrics-route';
import { NaniteRuntime } from './nanite-runtime';
import type { NanitePluginOptions } from './nanite.options';

declare module 'fastify' {
  interface FastifyInstance {
    /** Nanite's mapper calls (`request`, `call`, `push`, `agents`) and the hosted agent; added by `@nanite/fastify`. */
    nanite: FastifyNanite;
  }
}

const plugin: FastifyPluginAsync<NanitePluginOptions> = async (fastify, options) => {
  // Before anything is created: a bad option connects nothing.
  checkPluginOptions(options);
  const metrics = metricsFor(options.metrics);
  const runtime = new NaniteRuntime(options, fastify.log.child({ plugin: '@nanite/fastify' }), metrics);
  // Decorate before starting: a second registration on the same instance throws here (the
  // decorator exists already) before anything is connected. Whatever fails after this point closes
  // what the runtime created (close() is safe before start and idempotent), so nothing leaks.
  try {
    fastify.decorate('nanite', new NaniteHandle(runtime.mapper, runtime.agent));
    await runtime.start();
    addHooks(fastify, runtime, options);
    if (metrics) addMetricsRoute(fastify, metrics, options.metrics!);
  } catch (err) {
    // shutdown() logs its own failures; the registration error is the one the caller must see.
    await runtime.close().catch(() => {});
    throw err;
  }
};

function addHooks(fastify: FastifyInstance, runtime: NaniteRuntime, options: NanitePluginOptions): void {
  // preClose runs before the server stops accepting connections; onClose after it has closed, so
  // HTTP requests still awaiting a Nanite result complete before the mapper goes away.
  fastify.addHook('preClose', async () => runtime.beginDrain());
  // A keep-alive connection whose request was in flight when close() began (a result stream
  // included) would hold server.close() open until its idle timeout: closed as its response ends.
  closeConnectionsOnDrain(fastify);
  fastify.addHook('onClose', async () => runtime.close());
  if (options.errorHandler) {
    fastify.setErrorHandler(createNaniteErrorHandler(options.errorHandler === true ? {} : options.errorHandler));
  }
}

/**
 * The Nanite plugin for Fastify 5. Decorates `fastify.nanite` with the mapper's calls; with
 * `actors`, also hosts an agent in the app. On `fastify.close()`: the agent stops taking work and
 * drains, in-flight HTTP requests complete, the agent unregisters, the mapper drains and closes,
 * then the transport closes.
 *
 * ```ts
 * await app.register(nanitePlugin, { url: 'memory://demo', actors: [new Calc()], errorHandler: true });
 * app.get('/sum', (req) => app.nanite.request('/calc/add', [1, 2]));
 * ```
 */
export const nanitePlugin = fp(plugin, { name: '@nanite/fastify', fastify: '5.x' });
