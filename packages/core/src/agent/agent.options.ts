import type { ActorLike } from '../actor/actor-routes';
import type { Logger } from '../internal/logger';
import type { MapperOptions } from '../mapper/mapper.options';
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
  /** How long `close()` lets in-flight handlers finish before aborting them (ms). Default 10 000. */
  drainTimeout?: number;
  /**
   * Options of the light mapper the agent starts on first use of `context.request()` (it shares
   * the agent's transport). Ignored when `caller` is given.
   */
  mapper?: Omit<MapperOptions, 'transport'>;
  logger?: Logger;
}
