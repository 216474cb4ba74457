/**
 * @nanite/core: agents, mappers, actors, selectors, transports.
 */
export { ERROR_CODES, NaniteError, isNaniteErrorCode, toNaniteError } from './errors';
export type { NaniteErrorCode, NaniteErrorOptions, SerializedError } from './errors';
export { NANITE_HTTP_STATUS, asNaniteError, httpStatusOf } from './http-status';

export { PROTOCOL_VERSION, DEFAULT_PRIORITY } from './protocol/packets';
export type {
  AgentBroadcastPacket, AnswerPacket, ReplyPacket, SurveyPacket,
  AdvertisePacket, AgentBoundPacket, CancelPacket, HeartbeatPacket, MapperBoundPacket, Packet, PacketType, PingPacket,
  ProgressPacket, RegisterPacket, RequestPacket, ResultPacket, RouteInfo, UnRegisterPacket,
} from './protocol/packets';
export type { AgentReplyPacket } from './protocol/packets';
export { MAX_STREAM_CREDIT, isStreamEnd } from './protocol/stream-packets';
export type { ChunkPacket, CreditPacket, StreamEnd } from './protocol/stream-packets';
export { decodePacket } from './protocol/decode';
export type { DecodeFailure, DecodeResult } from './protocol/decode';

export { Actor, Expose, ACTOR_METADATA, EXPOSE_METADATA, getActorOptions, getExposedMethods } from './actor/decorators';
export type { ExposedMethod } from './actor/decorators';
export { actorPrefix, actorRoutes, defineActor, withSchema } from './actor/actor-routes';
export { isStandardSchema } from './actor/standard-schema-check';
export { MAX_VALIDATION_ISSUES, validationError } from './actor/payload-schema';
export type { ValidationErrorData, ValidationIssue } from './actor/payload-schema';
export type { StandardSchemaV1 } from './actor/standard-schema';
export type {
  AnyHandler, AnyHandlerSpec, ClassRouteMap, HandlersRouteMap, LifecycleHook, PayloadOf, ProgressArgs, ProgressMap, ProgressOf,
  ResultOf, RouteMap, RouteMapOf, RouteMethodName, RouteName, RoutesOf, RouteType, RouteTypeOfHandler, RouteTypeOfSpec,
} from './actor/route-map.types';
export type { ActorLike, HandlerSpec } from './actor/actor-routes';
export type { ActorDefinition, ActorOptions, ActorRoute, ExposeOptions, Handler } from './actor/actor.types';
export { routeOf, snakeCase } from './actor/route-name';

// One log line per burst of dropped or refused events (also used by @nanite/fastify's Control Tower).
export { BurstLog } from './internal/burst-log';
export type { BurstLogger, BurstLogOptions } from './internal/burst-log';

export { Agent, DEFAULT_AGENT_OPTIONS } from './agent/agent';
export type { AgentStats } from './agent/agent';
export type { AgentOptions } from './agent/agent.options';
export type { RequestContext } from './agent/request-context';
export { defaultStatus } from './agent/status';
export type { StatusFunction, StatusInfo } from './agent/status';

export { Mapper } from './mapper/mapper';
export { DEFAULT_MAPPER_OPTIONS } from './mapper/mapper.options';
export type { AgentDownReason, MapperEvents, MapperStats } from './mapper/mapper.options';
export type {
  ChunkOf, FanOutSelector, RouteArgs, SingleAgentSelector, TypedCall, TypedCallOptions, TypedMapper, TypedPush, TypedSurvey, TypedRequest, TypedRequestContext, TypedRequestOptions, TypedStream,
} from './mapper/typed-mapper';
export type { FanOut, MapperOptions, MapperRequestOptions, Outcome, ProgressListener, PushOptions, Reply } from './mapper/mapper.options';
export type { WaitForAgentsOptions } from './mapper/wait-for-agents.options';
export { DEFAULT_ROSTER_OPTIONS } from './mapper/roster/roster.options';
export type { RosterAgent, RosterOptions, RosterStats } from './mapper/roster/roster.options';
export type { AgentMeta, Liveness, RosterEntry, RosterState } from './mapper/roster/roster-entry';
export type { HlcStamp } from './mapper/roster/hlc';
export type { PhiDetectorOptions } from './mapper/roster/phi-detector';
export { FileRosterStore } from './mapper/roster/roster-store';
export type { RosterStore, StoreLoad } from './mapper/roster/roster-store';
export { canGossip } from './transport/gossip';
export type { GossipLink, GossipSink, GossipTransport } from './transport/gossip';
export { ResultStream } from './mapper/result-stream';
export { DEFAULT_STREAM_WINDOW } from './mapper/stream.options';
export type { StreamOptions } from './mapper/stream.options';
export { MAX_CHUNK_BYTES } from './agent/stream-pump';
export type { StreamSource } from './agent/stream-source';

export { AllSelector } from './selectors/all.selector';
export { DEFAULT_SCAN_LIMIT, LeastLoadedSelector } from './selectors/least-loaded.selector';
export type { LeastLoadedOptions } from './selectors/least-loaded.selector';
export { PEAK_EWMA_DECAY_MS, PeakEwma } from './selectors/peak-ewma';
export { RandomSelector } from './selectors/random.selector';
export { RoundRobinSelector } from './selectors/round-robin.selector';
export { TargetSelector } from './selectors/target.selector';
export { PrioritySelector } from './selectors/priority.selector';
export type { PrioritySelectorOptions } from './selectors/priority.selector';
export { ZoneSelector, zoneTag } from './selectors/zone.selector';
export type { ZoneSelectorOptions } from './selectors/zone.selector';
export { SurveyRun } from './mapper/survey-run';
export { DEFAULT_SURVEY_TIMEOUT } from './mapper/survey.options';
export type { SurveyAnswer, SurveyOptions, SurveyPath } from './mapper/survey.options';
export type { SurveyStats } from './mapper/surveys';
export { SelectorSet, selectorFromFunction } from './selectors/resolve-selector';
export type { SelectorOption } from './selectors/resolve-selector';
export type { AgentView, RequestInfo, Selector, SelectorFunction, SelectorName } from './selectors/selector';

export type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, SendOptions, Settle, Transport, VerifiedSender } from './transport/transport';
export { createTransport } from './transport/create-transport';
export { parseTransportUrl, redactUrl } from './transport/redact-url';
export type { CreateTransportOptions, TransportFactory } from './transport/create-transport';
export { MemoryTransport, MemoryBusRegistry } from './transport/memory/memory.transport';
export type { MemoryTransportOptions } from './transport/memory/memory.transport';
export { AmqpTransport } from './transport/amqp/amqp.transport';
export type { AmqpTransportStats } from './transport/amqp/amqp.transport';
export { removeAmqpTopology } from './transport/amqp/amqp.cleanup';
export type { RemoveAmqpTopologyOptions } from './transport/amqp/amqp.cleanup';
export { DEFAULT_AMQP_OPTIONS } from './transport/amqp/amqp.options';
export type { AmqpDelivery, AmqpNodeOrder, AmqpQueueType, AmqpTransportOptions } from './transport/amqp/amqp.options';
export type { AmqpNodeState } from './transport/amqp/amqp.connection';
export { amqpNames } from './transport/amqp/amqp.topology';
export { amqpPermissions } from './transport/amqp/amqp.permissions';
export type { AmqpPermissionOptions, AmqpPermissionRow } from './transport/amqp/amqp.permissions';
export type { AmqpNames } from './transport/amqp/amqp.topology';

// SP (nanomsg / NNG scalability protocols) sockets: the brokerless wire, knowing nothing of Nanite (docs/sp.md).
export { SpReqSocket, DEFAULT_SP_REQ_OPTIONS } from './transport/sp/sp-req.socket';
export type { SpReqOptions, SpReqStats, SpRequestOptions } from './transport/sp/sp-req.socket';
export { SpRepSocket } from './transport/sp/sp-rep.socket';
export { SpRespondentSocket } from './transport/sp/sp-respondent.socket';
export type { SpReplierOptions, SpReplierStats, SpRequest, SpRequestHandler } from './transport/sp/sp-replier';
export { SpSurveyorSocket } from './transport/sp/sp-surveyor.socket';
export type { SpSurveyOptions, SpSurveyorOptions, SpSurveyorStats } from './transport/sp/sp-surveyor.socket';
export type { SpSurvey, SpSurveyResponse } from './transport/sp/sp-survey';
export { SpSocket } from './transport/sp/sp-socket';
export type { SpPipeListener, SpSocketStats } from './transport/sp/sp-socket';
export { DEFAULT_SP_OPTIONS } from './transport/sp/sp-options';
export type { SpSocketOptions } from './transport/sp/sp-options';
export type { SpEndpoint } from './transport/sp/sp-endpoint';
export type { SpPipeInfo } from './transport/sp/sp-pipe';
export type { SpFault, SpFaultCounts } from './transport/sp/sp-faults';
export { SP_PROTOCOL } from './transport/sp/sp-handshake';
export { SpMuxSocket } from './transport/sp/sp-mux.socket';
export type { SpMuxHandler, SpMuxOptions, SpMuxStats } from './transport/sp/sp-mux.socket';
export { SpMultiListener } from './transport/sp/sp-multi-listener';
export type { SpMultiListenerOptions, SpMultiListenerStats } from './transport/sp/sp-multi-listener';
export { DirectTransport } from './transport/direct/direct.transport';
export { DEFAULT_DIRECT_OPTIONS } from './transport/direct/direct.options';
export type { DirectTransportOptions } from './transport/direct/direct.options';
export type { DirectServerStats } from './transport/direct/direct-server';
export type { DirectMapperStats } from './transport/direct/direct-mapper.link';
export type { JsonGatewayStats } from './transport/direct/json-gateway';
export type { SpProtocolName } from './transport/sp/sp-handshake';

export type { Serializer } from './serializer/serializer';
export { JsonSerializer, type JsonSerializerOptions } from './serializer/json.serializer';
export { DEFAULT_WIRE_LIMITS, assertWireSafe, wireFault, type WireLimits } from './protocol/wire-safety';

// Secure mode: certificate-authenticated, signed and encrypted packets (docs/security.md).
export { SecureTransport } from './serializer/secure/secure.transport';
export type { SecureTransportOptions, SecureTransportStats } from './serializer/secure/secure.transport';
export { DEFAULT_SECURITY_OPTIONS } from './serializer/secure/secure.options';
export type { AuthorizeRegistration, AuthorizeRequest, PeerIdentity, SecurityOptions } from './serializer/secure/secure.options';
export { AEAD_CHOICES, isAeadChoice } from './serializer/secure/aead';
export type { AeadChoice } from './serializer/secure/aead';
export { CachingCertificateStore, StaticCertificateStore } from './serializer/secure/cert-store';
export type { CachingCertificateStoreOptions, CertificateStore } from './serializer/secure/cert-store';
export { certificateIdentity, checkCertificate } from './serializer/secure/certificates';
export type { CertificateCheck } from './serializer/secure/certificates';
export type { SecureFault, SecureFaultCounts } from './serializer/secure/secure-faults';

export type { Logger } from './internal/logger';

// Observability (docs/observability.md): hooks agents and mappers call when observers are given; the
// Prometheus and OpenTelemetry adapters load their (optional peer) dependency only when created.
export { PrometheusMetrics, prometheusMetrics, DEFAULT_PROMETHEUS_OPTIONS } from './observability/prometheus.metrics';
export type { PrometheusMetricsOptions } from './observability/prometheus.metrics';
export { OpenTelemetryTracing, openTelemetryTracing } from './observability/otel.tracing';
export type { OpenTelemetryTracingOptions } from './observability/otel.tracing';
export type {
  AgentObservation, AgentSample, AgentSource, JobScope, JobStart, MapperObservation, MapperSource, Observer, RequestScope, RequestStart,
} from './observability/observer';
export { formatTraceParent, isTraceParent, parseTraceParent } from './observability/trace-context';
export type { TraceParent } from './observability/trace-context';
export { malformedKind } from './observability/malformed-kind';
export type { MalformedKind } from './observability/malformed-kind';
