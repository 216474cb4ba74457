/**
 * The agent's status: the fitness value mappers compare for least_loaded (lower is better).
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** What a status function may look at. */
export interface StatusInfo {
  /** Handlers running now. */
  inFlight: number;
  /** Requests received but waiting for a free slot. */
  queued: number;
  /** The agent's concurrency limit. */
  concurrency: number;
  /** Event-loop utilisation since the previous status (0..1). */
  eventLoopUtilization: number;
}

/** Computes the status an agent advertises; lower means less loaded. Must return a finite number. */
export type StatusFunction = (info: StatusInfo) => number;

/**
 * Default status: `max((inFlight + queued) / concurrency, eventLoopUtilization)`.
 *
 * Nanite's load average says how busy the *machine* was over a minute; this says how busy *this
 * agent* is now, on two axes that both mean "send work elsewhere": its work slots are full, or its
 * event loop is saturated (CPU-bound handlers). Ranges 0..1 until requests queue up, then above 1.
 */
export const defaultStatus: StatusFunction = (i) => Math.max((i.inFlight + i.queued) / i.concurrency, i.eventLoopUtilization);

/** Measures event-loop utilisation between successive calls. */
export class EluMeter {
  private last: EventLoopUtilization = performance.eventLoopUtilization();

  /** Utilisation since the previous call (0..1). */
  sample(): number {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    return Number.isFinite(delta.utilization) ? delta.utilization : 0;
  }
}
