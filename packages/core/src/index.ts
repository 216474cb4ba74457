/**
 * @nanite/core: agents, mappers, actors, selectors, transports.
 */
export { ERROR_CODES, NaniteError, isNaniteErrorCode, toNaniteError } from './errors';
export type { NaniteErrorCode, NaniteErrorOptions, SerializedError } from './errors';
export { NANITE_HTTP_STATUS, asNaniteError, httpStatusOf } from './http-status';

export { PROTOCOL_VERSION } from './protocol/packets';
export type {
  AdvertisePacket, AgentBoundPacket, CancelPacket, HeartbeatPacket, MapperBoundPacket, Packet, PacketType, PingPacket,
  ProgressPacket, RegisterPacket, RequestPacket, ResultPacket, RouteInfo, UnRegisterPacket,
} from './protocol/packets';
export { decodePacket } from './protocol/decode';
export type { DecodeFailure, DecodeResult } from './protocol/decode';

export { Actor, Expose, ACTOR_METADATA, EXPOSE_METADATA, getActorOptions, getExposedMethods } from './actor/decorators';
export type { ExposedMethod } from './actor/decorators';
export { actorPrefix, actorRoutes, defineActor } from './actor/actor-routes';
export type { ActorLike, HandlerSpec } from './actor/actor-routes';
export type { ActorDefinition, ActorOptions, ActorRoute, ExposeOptions, Handler } from './actor/actor.types';
export { routeOf, snakeCase } from './actor/route-name';

export { Agent, DEFAULT_AGENT_OPTIONS } from './agent/agent';
export type { AgentStats } from './agent/agent';
export type { AgentOptions } from './agent/agent.options';
export type { RequestContext } from './agent/request-context';
export { defaultStatus } from './agent/status';
export type { StatusFunction, StatusInfo } from './agent/status';

export { Mapper, DEFAULT_MAPPER_OPTIONS } from './mapper/mapper';
export type { AgentDownReason, MapperEvents, MapperStats } from './mapper/mapper';
export type { FanOut, MapperOptions, MapperRequestOptions, Outcome, ProgressListener, PushOptions, Reply } from './mapper/mapper.options';

export { AllSelector } from './selectors/all.selector';
export { LeastLoadedSelector } from './selectors/least-loaded.selector';
export { RandomSelector } from './selectors/random.selector';
export { RoundRobinSelector } from './selectors/round-robin.selector';
export { TargetSelector } from './selectors/target.selector';
export { SelectorSet, selectorFromFunction } from './selectors/resolve-selector';
export type { SelectorOption } from './selectors/resolve-selector';
export type { AgentView, RequestInfo, Selector, SelectorFunction, SelectorName } from './selectors/selector';

export type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, SendOptions, Settle, Transport } from './transport/transport';
export { createTransport } from './transport/create-transport';
export type { CreateTransportOptions, TransportFactory } from './transport/create-transport';
export { MemoryTransport, MemoryBusRegistry } from './transport/memory/memory.transport';
export type { MemoryTransportOptions } from './transport/memory/memory.transport';
export { AmqpTransport } from './transport/amqp/amqp.transport';
export type { AmqpTransportStats } from './transport/amqp/amqp.transport';
export { removeAmqpTopology } from './transport/amqp/amqp.cleanup';
export type { RemoveAmqpTopologyOptions } from './transport/amqp/amqp.cleanup';
export { DEFAULT_AMQP_OPTIONS } from './transport/amqp/amqp.options';
export type { AmqpDelivery, AmqpTransportOptions } from './transport/amqp/amqp.options';
export { amqpNames } from './transport/amqp/amqp.topology';
export type { AmqpNames } from './transport/amqp/amqp.topology';

export type { Serializer } from './serializer/serializer';
export { JsonSerializer } from './serializer/json.serializer';

export type { Logger } from './internal/logger';
