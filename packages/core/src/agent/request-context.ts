/** What a handler receives besides its payload. */
import type { ProgressMap, RouteMap } from '../actor/route-map.types';
import type { MapperRequestOptions, PushOptions } from '../mapper/mapper.options';
import type { TypedRequestContext } from '../mapper/typed-mapper';

/**
 * Request metadata, cancellation and progress for one handler invocation. `G` declares the
 * progress values by key (`RequestContext<{ resized: number }>`), which callers then see typed.
 */
export interface RequestContext<G extends ProgressMap = ProgressMap> {
  /** The route being served, e.g. `/foo/bar`. */
  readonly route: string;
  /** Unique id of this request (`<mapper>#<n>`). */
  readonly requestId: string;
  /** Shared by every request of a call chain: the W3C trace id of the chain (32 hex digits), unless the caller gave its own `traceId`. */
  readonly traceId: string;
  /** Identity of the agent running the handler. */
  readonly agent: string;
  /** Actor-to-actor hops before this one (0 for a request from outside). */
  readonly hops: number;
  /** When the caller gives up (epoch ms), counting the time the request spent queued (at the broker and in the agent); `Infinity` without a deadline. */
  readonly deadline: number;
  /** Fires when the request times out, the caller cancels it, or the agent is forced to stop. */
  readonly signal: AbortSignal;
  /**
   * The caller's upload, chunk by chunk (Buffers or JSON values), when it sent one
   * (`mapper.request(route, payload, { stream })`); read it once with `for await`. The caller sends
   * only as fast as this is read. Undefined when the request has no upload.
   */
  readonly input: AsyncIterable<unknown> | undefined;
  /** Sends a keyed intermediate value to the caller (Nanite's intermediate results), in order. */
  progress<K extends keyof G & string>(key: K, value: G[K]): void;
  /**
   * Calls another route from inside this handler. The remaining deadline, the cancellation and the
   * trace id travel along; the hop count grows by one.
   */
  request<R = unknown>(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<R>;
  /** Fire-and-forget to another route from inside this handler (trace id and hops travel along). */
  push(route: string, payload?: unknown, options?: PushOptions): Promise<void>;
  /** This context, its `request()`/`push()` typed by a route map (see `mapper.typed()`); no runtime cost. */
  typed<M extends RouteMap>(): TypedRequestContext<M, G>;
}
