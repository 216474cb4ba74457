import type { ActorLike } from '../actor/actor-routes';
import type { Logger } from '../internal/logger';
import type { Observer } from '../observability/observer';
import type { MapperOptions } from '../mapper/mapper.options';
import type { DirectTransportOptions } from '../transport/direct/direct.options';
import type { SecurityOptions } from '../serializer/secure/secure.options';
import type { Transport } from '../transport/transport';
import type { StatusFunction } from './status';

/** Options of {@link Agent}. */
export interface AgentOptions {
  /** A transport URL (`memory://name`, `amqp://...`), owned and closed by the agent, or a transport instance you close yourself. */
  transport: string | Transport;
  /** The agent's identity (Nanite's token). Generated once per agent when omitted and kept across reconnects. */
  identity?: string;
  /** Secure mode: certificate, key and trusted CA(s) (docs/security.md). The default identity is then bound to the certificate. */
  security?: SecurityOptions;
  /** Actors to host: instances of `@Actor()` classes or `defineActor()` results. More can be added with `addActor()`. */
  actors?: readonly ActorLike[];
  /** Tags requests can filter on. */
  tags?: readonly string[];
  /** Computes the advertised status (lower is less loaded). Default: {@link defaultStatus}. */
  status?: StatusFunction;
  /** Heartbeat period (ms). Default 5 000. */
  pingInterval?: number;
  /** Handlers run at once; more requests wait in order. Default 64. */
  concurrency?: number;
  /**
   * Most requests and pushes waiting for a free slot. Beyond it a request is refused at once with
   * `NANITE_ERR_OVERLOADED` (retryable) and a push is dropped, both counted in `stats.overloaded`,
   * with one log line per burst. Default `max(16 × concurrency, 1024)`: room for bursts of
   * in-process callers (memory:// has no prefetch), a bound of a few MB of queued messages.
   */
  maxQueued?: number;
  /**
   * Routing tier, 1 (preferred) … 16, advertised in Register: the `priority` selector sends to the
   * best tier that has a usable agent. Default {@link DEFAULT_PRIORITY} (8).
   */
  priority?: number;
  /**
   * The agent's software version, advertised in its Register and shown in every mapper's roster
   * (`nanite agents --all`, the Control Tower): printable ASCII, at most 128 characters. None by
   * default: it is not guessed (`npm_package_version` exists only under npm scripts, and names
   * whichever package's script runs); pass e.g. `version: process.env.npm_package_version`.
   */
  version?: string;
  /** Survey handlers running at once; surveys beyond are dropped unanswered and counted. Default 16. */
  maxSurveys?: number;
  /** How long `close()` lets in-flight handlers finish before aborting them (ms). Default 10 000. */
  drainTimeout?: number;
  /**
   * How long a result stream (a handler read with `mapper.stream()`) waits for its reader to take
   * more chunks, ms, before the agent gives up on it: the handler is aborted with
   * `NANITE_ERR_TIMEOUT` and its slot freed. A reader's mapper that died, or a reader that stopped
   * reading without `return()`/`cancel()`, would otherwise hold the slot for good. A slow reader
   * only needs to read one chunk per this long. Default 600 000 (10 min); 0 waits for ever.
   */
  streamStallTimeout?: number;
  /**
   * Options of the light mapper the agent starts on first use of `context.request()` (it shares
   * the agent's transport). Ignored when `caller` is given.
   */
  mapper?: Omit<MapperOptions, 'transport'>;
  /**
   * Serve requests on an SP endpoint too (direct mode, docs/sp.md): `tcp://host:port` (port 0: an
   * ephemeral port) or `ipc:///path`. The bound URL is advertised in the agent's Register (and is
   * {@link Agent.endpoint}); mappers with `direct: true` then send requests straight here, and plain
   * nanomsg/NNG REQ and SURVEYOR peers can call routes with JSON bodies. The agent's own nested
   * calls go direct too unless `mapper.direct` is false.
   */
  listen?: string;
  /** Options of the direct data path (serializer, message size bound...) when `listen` is set. */
  direct?: Omit<DirectTransportOptions, 'listen' | 'direct' | 'ownsInner'>;
  /**
   * Restarted on purpose after `nanite forget` / `mapper.forget()`: for its first three ping
   * intervals the agent asks mappers to admit its identity again. Without it, an agent told that
   * it was removed logs that and stops.
   */
  rejoin?: boolean;
  logger?: Logger;
  /** Observability adapters (metrics, tracing; see docs/observability.md); the agent's nested calls use them too. None: no hook runs. */
  observers?: readonly Observer[];
}
