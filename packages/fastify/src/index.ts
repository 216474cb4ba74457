/**
 * @nanite/fastify: the Nanite plugin for Fastify 5 and the Control Tower page.
 */
export { nanitePlugin } from './plugin/nanite.plugin';
export type { NanitePluginOptions } from './plugin/nanite.options';
export { NaniteHandle } from './plugin/nanite-handle';
export type { FastifyNanite } from './plugin/nanite-handle';

export { createNaniteErrorHandler, naniteErrorHandler } from './errors/error-handler';
export type { NaniteErrorBody, NaniteErrorHandler, NaniteErrorHandlerOptions } from './errors/error-handler';
export { NANITE_HTTP_STATUS, asNaniteError, httpStatusOf } from './errors/http-status';
