/** The typed view of MapperService (`nanite.typed<Routes>()`): types only. */
import type { RouteMap, TypedCall, TypedPush, TypedRequest, TypedSurvey } from '@nanite/core';
import type { MapperService, MapperServicePushOptions, MapperServiceRequestOptions } from './mapper.service';

/**
 * MapperService with `request`/`call`/`push` typed by a route map: only known routes, checked
 * payloads, the handlers' result types; `parent` and the other options as usual.
 */
export type TypedMapperService<M extends RouteMap> = TypedRequest<M, MapperServiceRequestOptions>
  & TypedCall<M, MapperServiceRequestOptions>
  & TypedPush<M, MapperServicePushOptions>
  & TypedSurvey<M>
  & Omit<MapperService, 'request' | 'call' | 'push' | 'survey' | 'typed'>;
