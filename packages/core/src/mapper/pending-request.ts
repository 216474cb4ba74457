/** A request the mapper has sent and waits on. */
import type { NaniteError } from '../errors';
import type { DeadlineEntry } from '../internal/deadline-queue';
import type { RequestPacket } from '../protocol/packets';
import type { RequestInfo, Selector } from '../selectors/selector';
import type { ProgressListener } from './mapper.options';
import type { AgentRecord } from './registry';
import type { StreamHooks } from './stream.options';
import { TriedAgents } from './tried-agents';
import type { UploadHooks } from './upload-sender';

/** How a pending request reports its outcome. */
export interface PendingCallbacks {
  resolve(result: unknown, agent: string, attempts: number): void;
  reject(error: NaniteError): void;
}

/**
 * What few requests use (a failover, a signal, a progress listener, a stream or upload, a park,
 * a caller's override of idempotency or delivery, a fan-out leg): kept off {@link PendingRequest}
 * itself, made on the first write of such a field, so a plain request allocates a smaller object.
 */
class PendingExtras {
  tried: TriedAgents | undefined = undefined;
  parked = false;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  onProgress: ProgressListener | undefined = undefined;
  idempotent: boolean | undefined = undefined;
  delivery: 'at-most-once' | 'ack-after-handler' | undefined = undefined;
  failover = true;
  stream: StreamHooks | undefined = undefined;
  upload: UploadHooks | undefined = undefined;
}

/**
 * Doubles as the {@link RequestInfo} selectors see, so dispatch allocates one object per request.
 * The fields of a plain request are its own; the rest live in a {@link PendingExtras} made on the
 * first write of one (writing `undefined` to an absent one makes none).
 */
export class PendingRequest implements RequestInfo, DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineGroup: object | undefined = undefined;
  agent: AgentRecord | undefined = undefined;
  attempts = 0;
  /** The deadline this request is tracked with (ms; 0 = none). */
  timeout = 0;
  /** Epoch ms by which the caller gives up (0 = none, or not fixed yet while `timeout` > 0: see `Dispatcher.single`): nothing is sent after it. */
  deadline = 0;
  /** When it was last sent (epoch ms), for the agent's response time; 0 when not read. */
  sentAt = 0;
  /** 0: not (or no longer) pending; 1: pending, not yet findable by id (being sent); 2: pending and findable by id. Written by the pending table. */
  tracking: 0 | 1 | 2 = 0;
  private x: PendingExtras | undefined = undefined;

  constructor(
    readonly packet: RequestPacket,
    readonly tags: readonly string[],
    readonly target: string | undefined,
    readonly selector: Selector,
    readonly callbacks: PendingCallbacks,
  ) {}

  private get extras(): PendingExtras {
    return (this.x ??= new PendingExtras());
  }

  /** Agents already tried (created on the first failover only). */
  get tried(): TriedAgents | undefined {
    return this.x?.tried;
  }

  /** Handed to the transport to wait for an agent (offline failsafe): whichever agent takes it may answer. */
  get parked(): boolean {
    return this.x?.parked ?? false;
  }

  set parked(value: boolean) {
    if (value || this.x) this.extras.parked = value;
  }

  get signal(): AbortSignal | undefined {
    return this.x?.signal;
  }

  set signal(value: AbortSignal | undefined) {
    if (value !== undefined || this.x) this.extras.signal = value;
  }

  get onAbort(): (() => void) | undefined {
    return this.x?.onAbort;
  }

  set onAbort(value: (() => void) | undefined) {
    if (value !== undefined || this.x) this.extras.onAbort = value;
  }

  get onProgress(): ProgressListener | undefined {
    return this.x?.onProgress;
  }

  set onProgress(value: ProgressListener | undefined) {
    if (value !== undefined || this.x) this.extras.onProgress = value;
  }

  /** Set when the caller overrides the route's advertised idempotency. */
  get idempotent(): boolean | undefined {
    return this.x?.idempotent;
  }

  set idempotent(value: boolean | undefined) {
    if (value !== undefined || this.x) this.extras.idempotent = value;
  }

  /** How the agent acknowledges it (transport default when undefined). */
  get delivery(): 'at-most-once' | 'ack-after-handler' | undefined {
    return this.x?.delivery;
  }

  set delivery(value: 'at-most-once' | 'ack-after-handler' | undefined) {
    if (value !== undefined || this.x) this.extras.delivery = value;
  }

  /** A single request fails over among all candidates; a fan-out leg sticks to its agent. */
  get failover(): boolean {
    return this.x?.failover ?? true;
  }

  set failover(value: boolean) {
    if (!value || this.x) this.extras.failover = value;
  }

  /** Set when the caller reads the result as a stream (`mapper.stream()`). */
  get stream(): StreamHooks | undefined {
    return this.x?.stream;
  }

  set stream(value: StreamHooks | undefined) {
    if (value !== undefined || this.x) this.extras.stream = value;
  }

  /** Set when the caller sends its input as a stream. */
  get upload(): UploadHooks | undefined {
    return this.x?.upload;
  }

  set upload(value: UploadHooks | undefined) {
    if (value !== undefined || this.x) this.extras.upload = value;
  }

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

  markTried(agent: AgentRecord): void {
    (this.extras.tried ??= new TriedAgents()).add(agent);
  }
}
