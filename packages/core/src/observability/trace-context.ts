/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` string requests
 * carry, and the trace ids a handler sees as `ctx.traceId` when its caller gave none.
 */
import { randomFillSync } from 'node:crypto';
import { NaniteError } from '../errors';

/** `version-traceid-parentid-flags`, lowercase hex; version `ff` and all-zero ids are invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The parts of a valid `traceparent`. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. */
  flags: number;
}

/** Parses a `traceparent` header value; `undefined` when it is not a valid one. */
export function parseTraceParent(value: string): TraceParent | undefined {
  if (value.length > 512) return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: parseInt(flags, 16) };
}

/** True for a valid `traceparent` value. */
export function isTraceParent(value: unknown): value is string {
  return typeof value === 'string' && parseTraceParent(value) !== undefined;
}

/** Formats a version-00 `traceparent`. */
export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** The trace id of a `traceparent` (no validation: the packet was validated on arrival). */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

// Ids are drawn from a pooled random buffer: one crypto call per 256 ids, not per request.
const POOL = Buffer.alloc(16 * 256);
let poolAt = POOL.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const hex = POOL.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** A fresh random W3C trace id (32 lowercase hex digits, never all zero). */
export function newTraceId(): string {
  const id = randomHex(16);
  return id === ZERO_TRACE ? newTraceId() : id;
}

/** A fresh random W3C span id (16 lowercase hex digits, never all zero). */
export function newSpanId(): string {
  const id = randomHex(8);
  return id === ZERO_SPAN ? newSpanId() : id;
}

/** Throws `NANITE_ERR_INVALID_ARGUMENT` when a caller's `traceparent` option is not a valid one. */
export function checkTraceParent(traceparent: string | undefined): void {
  if (traceparent !== undefined && !isTraceParent(traceparent)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `traceparent must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>), got ${JSON.stringify(String(traceparent).slice(0, 60))}` });
  }
}

/** The ids a log line about a request carries: `requestId` (`<mapper>#<n>`) and, when the request has one, its `traceId`. */
export function requestLogIds(p: { replyTo: string; id: number; traceId?: string | undefined; traceparent?: string | undefined }): { requestId: string; traceId?: string } {
  const traceId = p.traceId ?? (p.traceparent !== undefined ? traceIdOf(p.traceparent) : undefined);
  return traceId === undefined ? { requestId: `${p.replyTo}#${p.id}` } : { requestId: `${p.replyTo}#${p.id}`, traceId };
}
