/** Options of `NaniteModule.forRoot()` / `forRootAsync()`. */
import type { Agent, AgentOptions, Logger, Mapper, MapperOptions, PrometheusMetrics, SecurityOptions, Serializer, Transport, TransportFactory } from '@nanite/core';

/** The app's agent: core's agent options without those the module supplies (transport, actors, logger). */
export type NaniteAgentOptions = Omit<AgentOptions, 'transport' | 'actors' | 'logger' | 'mapper'>;

/** The app's mapper: core's mapper options without those the module supplies (transport, logger). */
export type NaniteMapperOptions = Omit<MapperOptions, 'transport' | 'logger'>;

/** Back-off of the background start (`startup: 'background'`). */
export interface NaniteStartupRetry {
  /** First delay after a failed attempt (ms). Default 250. */
  initialDelay?: number;
  /** Longest delay between attempts (ms). Default 5 000. */
  maxDelay?: number;
}

/**
 * Configuration of the module. One transport per module, shared by the app's agent and mapper.
 * Give exactly one of `url` and `transport`.
 */
export interface NaniteModuleOptions {
  /** `memory://name` or `amqp://user:pass@host:port/vhost`: the module creates the transport and closes it on shutdown. */
  url?: string;
  /** A transport instance (e.g. built with a custom serializer). The module does not close it: you do, after `app.close()`. */
  transport?: Transport;
  /** Secure mode (`{ cert, key, ca }`, see @nanite/core docs/security.md) for the module's mapper and agent. */
  security?: SecurityOptions;
  /** Wire format of an amqp(s):// `url` (e.g. a signing serializer). Default: core's JSON. memory:// passes values by reference and has none. */
  serializer?: Serializer;
  /** Extra URL schemes for `url` (passed to core's `createTransport`). */
  transportFactories?: Record<string, TransportFactory>;
  /**
   * The app's agent, which serves the discovered `@Actor()` providers: options of the agent the
   * module creates, or an `Agent` of yours (the discovered actors are added to it with `addActor()`;
   * started if it is not running; never stopped by the module: close it after `app.close()`).
   * Default: an agent with core's defaults when at least one actor is discovered, none otherwise.
   * `false`: never. (The same shapes as @nanite/fastify's `agent` option.)
   */
  agent?: NaniteAgentOptions | Agent | false;
  /**
   * The app's mapper, behind `MapperService`: options of the mapper the module creates, or a
   * `Mapper` of yours (started if it is not running; never closed by the module). Default: one with
   * core's defaults. `false`: none. (The same shapes as @nanite/fastify's `mapper` option.)
   */
  mapper?: NaniteMapperOptions | Mapper | false;
  /** Serve `@Actor()` classes registered as controllers too. Default false (a warning names them). */
  controllers?: boolean;
  /**
   * `wait` (default): `app.init()` waits until the agent and mapper are connected, and fails if the
   * transport does. `background`: bootstrap does not wait; the module keeps trying (with back-off)
   * until connected, and meanwhile `MapperService` calls fail at once with
   * `NANITE_ERR_NOT_CONNECTED` and the health indicator reports down. For apps that must boot
   * while the broker is unreachable.
   */
  startup?: 'wait' | 'background';
  /** Back-off of `startup: 'background'`. */
  startupRetry?: NaniteStartupRetry;
  /** Logger for the agent, mapper and module (pino's signature). Default: core's pino logger at `warn`. */
  logger?: Logger;
  /**
   * Prometheus metrics of the agent and mapper the module creates (docs/observability.md): a
   * `prometheusMetrics({ registry })` on your app's prom-client registry joins it; serve it yourself
   * or list {@link NaniteMetricsController} among your controllers (`GET /metrics`). Instances you
   * pass as `agent` / `mapper` keep their own `observers`.
   */
  metrics?: PrometheusMetrics;
}

/** Whether a `mapper` option is a Mapper instance (by shape, so one from a second copy of @nanite/core counts too). */
export function isMapperInstance(value: NaniteModuleOptions['mapper']): value is Mapper {
  const m = value as Partial<Record<'start' | 'request' | 'close', unknown>> | false | undefined;
  return !!m && typeof m.start === 'function' && typeof m.request === 'function' && typeof m.close === 'function';
}

/** Whether an `agent` option is an Agent instance (by shape). */
export function isAgentInstance(value: NaniteModuleOptions['agent']): value is Agent {
  const a = value as Partial<Record<'start' | 'addActor' | 'close', unknown>> | false | undefined;
  return !!a && typeof a.start === 'function' && typeof a.addActor === 'function' && typeof a.close === 'function';
}
