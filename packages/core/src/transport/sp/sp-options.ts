/**
 * Options shared by every SP socket, their defaults (chosen like nanomsg's and NNG's) and their
 * validation.
 */
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import { MAX_TIMER_DELAY } from '../../internal/timers';

/** Options of every SP socket. */
export interface SpSocketOptions {
  /** Largest message accepted from a peer (bytes, protocol header included); a longer one closes that connection. NNG's `NNG_OPT_RECVMAXSZ`, nanomsg's `NN_RCVMAXSIZE`. Default 1 MiB. */
  maxMessageSize?: number;
  /** Time a new connection has to open and complete the SP header exchange (ms). Default 10 000 (NNG's negotiation timeout). */
  handshakeTimeout?: number;
  /** First delay before a dialer reconnects (ms); doubles per failed attempt with ±20% jitter. nanomsg `NN_RECONNECT_IVL`, NNG `NNG_OPT_RECONNMINT`. Default 100. */
  reconnectMin?: number;
  /** Longest reconnect delay (ms). nanomsg `NN_RECONNECT_IVL_MAX`, NNG `NNG_OPT_RECONNMAXT`. Default 2 000. */
  reconnectMax?: number;
  /** Connections (pipes) a socket keeps at once over all its listeners and dialers; extra accepted connections are closed and counted. Default 4 096. */
  maxPipes?: number;
  /** Bytes a pipe may hold unsent (the peer reads too slowly) before messages to it are dropped (replies) or held back (requests); at least 16 KiB. Default 8 MiB. */
  maxWriteBuffer?: number;
  /**
   * How long closing keeps a ready connection open so that what was sent on it still arrives (ms):
   * the socket flushes, half-closes and waits for the peer to close its side, then drops it. 0 drops
   * it at once (what was still buffered is lost). nanomsg's `NN_LINGER`. Default 1 000.
   */
  linger?: number;
  /** Most hops (4-byte ids) a backtrace may hold; a longer one is dropped as malformed. NNG's `NNG_OPT_MAXTTL`. Default 8. */
  maxTtl?: number;
  /** Where the socket logs faults (one line per burst) and connection trouble. Default pino at warn. */
  logger?: Logger;
  /** A name for log lines. */
  name?: string;
}

/** Defaults of {@link SpSocketOptions}. */
export const DEFAULT_SP_OPTIONS = {
  maxMessageSize: 1024 * 1024,
  handshakeTimeout: 10_000,
  reconnectMin: 100,
  reconnectMax: 2_000,
  maxPipes: 4_096,
  maxWriteBuffer: 8 * 1024 * 1024,
  linger: 1_000,
  maxTtl: 8,
} as const satisfies Partial<SpSocketOptions>;

/** {@link SpSocketOptions} with every default applied. */
export type ResolvedSpOptions = Required<Omit<SpSocketOptions, 'logger' | 'name'>> & Pick<SpSocketOptions, 'logger' | 'name'>;

/** Throws `NANITE_ERR_INVALID_ARGUMENT` unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', {
      message: `SP option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      data: { option: name, value },
    });
  }
  return value;
}

/** Applies defaults and validates. */
export function resolveSpOptions(options: SpSocketOptions = {}): ResolvedSpOptions {
  const o = { ...DEFAULT_SP_OPTIONS, ...stripUndefined(options) };
  checkInteger('maxMessageSize', o.maxMessageSize, 4, 0x7fff_ffff);
  checkInteger('handshakeTimeout', o.handshakeTimeout, 1, MAX_TIMER_DELAY);
  checkInteger('reconnectMin', o.reconnectMin, 1, MAX_TIMER_DELAY);
  checkInteger('reconnectMax', o.reconnectMax, o.reconnectMin, MAX_TIMER_DELAY);
  checkInteger('maxPipes', o.maxPipes, 1, 1_000_000);
  // At least Node's socket high-water mark, so a full pipe always gets its 'drain' event.
  checkInteger('maxWriteBuffer', o.maxWriteBuffer, 16 * 1024, Number.MAX_SAFE_INTEGER);
  checkInteger('linger', o.linger, 0, MAX_TIMER_DELAY);
  checkInteger('maxTtl', o.maxTtl, 1, 255);
  return o;
}

/** A copy of `o` without its undefined fields (so they do not hide defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
