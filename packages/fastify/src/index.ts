/**
 * @nanite/fastify: the Nanite plugin for Fastify 5 and the Control Tower page.
 */
export { nanitePlugin } from './plugin/nanite.plugin';
export type { NaniteAgentOptions, NaniteMapperOptions, NanitePluginOptions } from './plugin/nanite.options';
export type { NaniteMetricsOptions } from './plugin/metrics-route';
export { NaniteHandle } from './plugin/nanite-handle';
export type { FastifyNanite } from './plugin/nanite-handle';
export type { TypedFastifyNanite } from './plugin/typed-nanite';

export { createNaniteErrorHandler, naniteErrorHandler } from './errors/error-handler';
export type { NaniteErrorBody, NaniteErrorHandler, NaniteErrorHandlerOptions } from './errors/error-handler';
export { NANITE_HTTP_STATUS, asNaniteError, httpStatusOf } from './errors/http-status';

export { naniteControlTower } from './control-tower/control-tower.plugin';
export { DEFAULT_CONTROL_TOWER_OPTIONS } from './control-tower/control-tower.options';
export type { ControlTowerAuthHook, ControlTowerOptions } from './control-tower/control-tower.options';
export type { AgentRow, TowerSnapshot } from './control-tower/agent-board';
export type { TowerLine, TowerRequest } from './control-tower/request-runner';
