/** What a mapper hands its dispatcher: its context, and each request resolved into a {@link Dispatch}. */
import type { Logger } from '../internal/logger';
import type { MapperLink } from '../transport/transport';
import type { MapperFaults } from './mapper-faults';
import type { MapperRequestOptions } from './mapper.options';
import type { PushDispatch } from './pusher';
import type { AgentRecord, Registry } from './registry';
import type { RegistryWaiters } from './registry-waiters';
import type { StreamHooks } from './stream.options';
import type { UploadHooks } from './upload-sender';

/** What the dispatcher needs from its mapper. */
export interface DispatchContext {
  readonly identity: string;
  readonly registry: Registry;
  readonly waiters: RegistryWaiters;
  readonly logger: Logger;
  readonly faults: MapperFaults;
  /** How long an offline-failsafe request may wait for an agent (ms). */
  readonly persistentTtl: number;
  /** How long a request moving to another agent may wait for one (ms). */
  readonly failoverWindow: number;
  link(): MapperLink | undefined;
  isRunning(): boolean;
  /** Milliseconds left in the discovery window after start (<= 0 once it closed). */
  discoveryLeft(): number;
  /** What we hold of this agent proved stale (it does not serve a route it registered, or a request to it came back): ask it to register again. */
  stale(record: AgentRecord): void;
}

/** A request, resolved into what dispatch needs. */
export interface Dispatch extends PushDispatch {
  options: MapperRequestOptions;
  /** The caller's time limit in ms (0: none), for messages. */
  timeout: number;
  /** Epoch ms by which the request must complete (0: none, or not fixed yet: `now` is 0). */
  deadline: number;
  /** When the caller made it (epoch ms); 0 when the clock was not read yet (see `anchorDispatch`). */
  now: number;
  /** Set when the caller reads the result as a stream. */
  stream?: StreamHooks;
  /** Set when the caller sends its input as a stream. */
  upload?: UploadHooks;
}
