/**
 * @nanite/nest: Nest providers become Nanite actors; MapperService calls actors anywhere.
 */
export { NaniteModule } from './nanite.module';
export type { NaniteModuleAsyncOptions, NaniteModuleExtras, NaniteModuleForRootOptions } from './nanite.module-definition';
export { NANITE_MODULE_OPTIONS } from './nanite.module-definition';
export type { NaniteAgentOptions, NaniteMapperOptions, NaniteModuleOptions, NaniteStartupRetry } from './nanite-module.options';

export { Actor, NaniteActorMarker } from './decorators/actor.decorator';
export { Expose } from './decorators/expose.decorator';
export { Ctx, NaniteCtx, NanitePayload, Payload } from './decorators/param.decorators';
export type { NanitePipe } from './decorators/param.decorators';

export { MapperService } from './mapper.service';
export type { MapperServicePushOptions, MapperServiceRequestOptions, ParentOption } from './mapper.service';
export type { TypedMapperService } from './typed-mapper-service';
export { naniteValidationException } from './nanite-validation';
export type { ClassValidatorError } from './nanite-validation';
export { NaniteRuntime } from './nanite.runtime';
export { NaniteMetricsController } from './nanite-metrics.controller';
export type { NaniteRuntimeState } from './nanite.runtime';
export { NaniteHealthIndicator } from './nanite-health.indicator';
export type { NaniteHealthDetails, NaniteHealthOptions, NaniteHealthResult } from './nanite-health.indicator';

export { NANITE_CONTEXT_TYPE, NaniteParamtype } from './nanite.constants';
export type { NaniteContextType } from './nanite.constants';
export { isNaniteCall, naniteArguments } from './nanite-arguments';
export type { NaniteCallArguments } from './nanite-arguments';
export { nestErrorToNanite } from './nest-error.mapper';
export { NANITE_HTTP_FILTER_OPTIONS, NaniteHttpExceptionFilter } from './nanite-http.filter';
export type { NaniteHttpErrorBody, NaniteHttpFilterOptions } from './nanite-http.filter';
/** Core's status table, re-exported for code that imported it from here. */
export { NANITE_HTTP_STATUS } from '@nanite/core';
export { NaniteCallScope } from './call-scope';
