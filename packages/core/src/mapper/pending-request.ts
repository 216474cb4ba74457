/** A request the mapper has sent and waits on. */
import type { NaniteError } from '../errors';
import type { DeadlineEntry } from '../internal/deadline-queue';
import type { RequestPacket } from '../protocol/packets';
import type { RequestInfo, Selector } from '../selectors/selector';
import type { ProgressListener } from './mapper.options';
import type { AgentRecord } from './registry';
import type { StreamHooks } from './stream.options';
import type { UploadHooks } from './upload-sender';

/** How a pending request reports its outcome. */
export interface PendingCallbacks {
  resolve(result: unknown, agent: string, attempts: number): void;
  reject(error: NaniteError): void;
}

/** Doubles as the {@link RequestInfo} selectors see, so dispatch allocates one object per request. */
export class PendingRequest implements RequestInfo, DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  agent: AgentRecord | undefined;
  attempts = 0;
  /** Agents already tried (created on the first failover only). */
  tried: Set<string> | undefined;
  /** The deadline this request is tracked with (ms; 0 = none). */
  timeout = 0;
  /** Epoch ms by which the caller gives up (0 = none, or not fixed yet while `timeout` > 0: see `Dispatcher.single`): nothing is sent after it. */
  deadline = 0;
  /** When it was last sent (epoch ms), for the agent's response time; 0 when not read. */
  sentAt = 0;
  /** 0: not (or no longer) pending; 1: pending, not yet findable by id (being sent); 2: pending and findable by id. Written by the pending table. */
  tracking: 0 | 1 | 2 = 0;
  /** Handed to the transport to wait for an agent (offline failsafe): whichever agent takes it may answer. */
  parked = false;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onProgress: ProgressListener | undefined;
  /** Set when the caller overrides the route's advertised idempotency. */
  idempotent: boolean | undefined;
  /** How the agent acknowledges it (transport default when undefined). */
  delivery: 'at-most-once' | 'ack-after-handler' | undefined;
  /** A single request fails over among all candidates; a fan-out leg sticks to its agent. */
  failover = true;
  /** Set when the caller reads the result as a stream (`mapper.stream()`). */
  stream: StreamHooks | undefined;
  /** Set when the caller sends its input as a stream. */
  upload: UploadHooks | undefined;

  constructor(
    readonly packet: RequestPacket,
    readonly tags: readonly string[],
    readonly target: string | undefined,
    readonly selector: Selector,
    readonly callbacks: PendingCallbacks,
  ) {}

  get route(): string {
    return this.packet.route;
  }

  get payload(): unknown {
    return this.packet.payload;
  }

  /** True when re-running on another agent is safe. */
  isIdempotent(): boolean {
    return this.idempotent ?? this.agent?.idempotent.has(this.packet.route) ?? false;
  }

  markTried(identity: string): void {
    (this.tried ??= new Set()).add(identity);
  }
}
