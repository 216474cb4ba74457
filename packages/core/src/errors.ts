/**
 * The one error class of Nanite and its code table.
 *
 * Every code is documented in docs/errors.md; a test pins this table to that page.
 */

/** Description and retry advice of every Nanite error code. */
export const ERROR_CODES = {
  NANITE_ERR_NO_AGENT: { retryable: true, message: 'No live agent offers this route' },
  NANITE_ERR_UNKNOWN_ROUTE: { retryable: true, message: 'The agent does not serve this route' },
  NANITE_ERR_TIMEOUT: { retryable: true, message: 'The request did not complete before its deadline' },
  NANITE_ERR_ABORTED: { retryable: false, message: 'The request was cancelled by its caller' },
  NANITE_ERR_HANDLER: { retryable: false, message: 'The handler threw an error' },
  NANITE_ERR_AGENT_LOST: { retryable: true, message: 'The agent went away while handling a non-idempotent request' },
  NANITE_ERR_HOP_LIMIT: { retryable: false, message: 'The request passed through too many actors (a call cycle?)' },
  NANITE_ERR_VALIDATION: { retryable: false, message: 'The payload failed validation' },
  NANITE_ERR_FORBIDDEN: { retryable: false, message: 'The call was denied by an authorization check' },
  NANITE_ERR_CERTIFICATE: { retryable: false, message: 'A certificate, private key or CA of secure mode is unusable' },
  NANITE_ERR_INVALID_ARGUMENT: { retryable: false, message: 'An option or argument is invalid' },
  NANITE_ERR_MALFORMED_PACKET: { retryable: false, message: 'A packet failed protocol validation' },
  NANITE_ERR_SHUTTING_DOWN: { retryable: true, message: 'The agent or mapper is shutting down' },
  NANITE_ERR_NOT_STARTED: { retryable: false, message: 'The agent or mapper has not been started' },
  NANITE_ERR_UNSUPPORTED_TRANSPORT: { retryable: false, message: 'No transport handles this URL' },
  NANITE_ERR_TRANSPORT: { retryable: true, message: 'The transport failed' },
  NANITE_ERR_TRANSPORT_AUTH: { retryable: false, message: 'The broker refused the credentials or vhost' },
  NANITE_ERR_NOT_CONNECTED: { retryable: true, message: 'The transport is not connected' },
  NANITE_ERR_BUFFER_FULL: { retryable: true, message: 'Too many requests are waiting for the connection' },
  NANITE_ERR_PAYLOAD: { retryable: false, message: 'A payload, result or progress value cannot cross the wire' },
  NANITE_ERR_OVERLOADED: { retryable: true, message: "The agent's queue of waiting requests is full" },
  NANITE_ERR_SELECTOR: { retryable: false, message: 'A custom selector threw or chose an agent that is not a candidate' },
  NANITE_ERR_MISSING_DEPENDENCY: { retryable: false, message: 'An optional peer dependency the feature needs is not installed' },
  NANITE_ERR_STREAM: { retryable: false, message: 'A stream was cut, broke its flow control, or was read the wrong way' },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

/** Every Nanite error code. */
export type NaniteErrorCode = keyof typeof ERROR_CODES;

/** The part of an error that crosses the wire. */
export interface SerializedError {
  code: NaniteErrorCode;
  message: string;
  retryable: boolean;
  data?: unknown;
}

/** Options of {@link NaniteError}. */
export interface NaniteErrorOptions {
  message?: string;
  retryable?: boolean;
  data?: unknown;
  cause?: unknown;
}

/**
 * The error every Nanite API throws or rejects with.
 *
 * `code` is one of {@link ERROR_CODES}; `retryable` says whether the same call may succeed later;
 * `data` carries structured details (for a handler error: the original name, message and data).
 */
export class NaniteError extends Error {
  override readonly name = 'NaniteError';
  readonly code: NaniteErrorCode;
  readonly retryable: boolean;
  readonly data: unknown;

  constructor(code: NaniteErrorCode, options: NaniteErrorOptions = {}) {
    super(options.message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.data = options.data;
  }

  /** The wire form: code, message, retryable and data only (never the stack). */
  toJSON(): SerializedError {
    const out: SerializedError = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.data !== undefined) out.data = this.data;
    return out;
  }

  /** Rebuilds an error that crossed the wire. */
  static fromJSON(e: SerializedError): NaniteError {
    return new NaniteError(e.code, { message: e.message, retryable: e.retryable, data: e.data });
  }
}

/** True when `code` is a known Nanite error code. */
export function isNaniteErrorCode(code: unknown): code is NaniteErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * Wraps whatever a handler threw into a NaniteError.
 *
 * A NaniteError passes through; anything else becomes `NANITE_ERR_HANDLER` whose `data` keeps the
 * original `name`, `message` and, when present, its `code` and `data` properties, so the caller can
 * still tell application errors apart. A thrown non-Error (a string, `null`, a plain object, a
 * symbol...) gets a readable message and `data: { type, value? }` (`value` only for JSON primitives).
 */
export function toNaniteError(thrown: unknown): NaniteError {
  if (thrown instanceof NaniteError) return thrown;
  if (thrown instanceof Error) {
    try {
      const extra = thrown as Error & { code?: unknown; data?: unknown };
      const message = String(thrown.message);
      const data: Record<string, unknown> = { name: String(thrown.name), message };
      if (extra.code !== undefined) data.code = extra.code;
      if (extra.data !== undefined) data.data = extra.data;
      return new NaniteError('NANITE_ERR_HANDLER', { message, data, cause: thrown });
    } catch {
      // A getter of the error threw (user code): what can be said without it.
      return new NaniteError('NANITE_ERR_HANDLER', { message: 'The handler threw an Error whose fields could not be read', data: { type: 'Error' }, cause: thrown });
    }
  }
  const text = describeThrown(thrown);
  // Only JSON-safe primitives are kept as `value`: a symbol, a function or an object graph might not cross the wire.
  const data: Record<string, unknown> = { type: thrown === null ? 'null' : typeof thrown };
  if (typeof thrown === 'string' || typeof thrown === 'boolean' || (typeof thrown === 'number' && Number.isFinite(thrown)) || thrown === null) data.value = thrown;
  return new NaniteError('NANITE_ERR_HANDLER', { message: typeof thrown === 'string' ? thrown : `The handler threw a non-Error value: ${text}`, data, cause: thrown });
}

/** A short readable description of any thrown value; never throws (null-prototype objects, throwing getters, cycles). */
function describeThrown(v: unknown): string {
  try {
    if (typeof v === 'symbol' || typeof v === 'bigint') return v.toString();
    if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
    if (typeof v !== 'object' || v === null) return String(v);
    const message = (v as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
    const json = JSON.stringify(v);
    if (typeof json === 'string') return json.length > 200 ? `${json.slice(0, 200)}…` : json;
  } catch {
    // A cycle, a BigInt inside or a throwing getter: the object's tag below says what it was.
  }
  try {
    return Object.prototype.toString.call(v);
  } catch {
    return 'an unprintable object'; // a hostile Proxy
  }
}
