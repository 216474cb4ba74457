/**
 * Runtime validation of packets read off a transport.
 *
 * Hand-written rather than schema-driven because it runs on every packet of the hot path (a
 * million per second on memory://); fast-check fuzzes it in test/protocol.spec.ts.
 */
import { isNaniteErrorCode } from '../errors';
import { isTraceParent } from '../observability/trace-context';
import { MAX_TIMER_DELAY } from '../internal/timers';
import type { Packet, RouteInfo } from './packets';
import { MAX_VERSION_LENGTH, PROTOCOL_VERSION } from './packets';
import { MAX_STREAM_CREDIT } from './stream-packets';

/** Why a packet was rejected. */
export interface DecodeFailure {
  ok: false;
  reason: string;
}

/** The outcome of {@link decodePacket}. */
export type DecodeResult = { ok: true; packet: Packet } | DecodeFailure;

type Rec = Record<string, unknown>;

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => isNum(v) && v >= 0 && Number.isInteger(v);
const isCredit = (v: unknown): v is number => isCount(v) && v > 0 && v <= MAX_STREAM_CREDIT;
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isRouteInfo = (v: unknown): v is RouteInfo =>
  typeof v === 'object' && v !== null && isStr((v as Rec).route) && typeof (v as Rec).idempotent === 'boolean';

const isEndpoint = (v: unknown): v is string => typeof v === 'string' && v.length <= 1_024 && (v.startsWith('tcp://') || v.startsWith('ipc://')) && v.length > 6;

/** A valid Register `version`: printable ASCII only (it is shown in terminals and pages, where control characters could forge output). */
export const isAgentVersion = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_VERSION_LENGTH && /^[\x20-\x7e]+$/.test(v);

/** Describes a value for a reason message without ever throwing (String() throws on null-prototype objects). */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  return typeof v;
}

function fail(reason: string): DecodeFailure {
  return { ok: false, reason };
}

/** The generic code an error from a newer peer gets when its own code is unknown here. */
const FALLBACK_CODE = 'NANITE_ERR_HANDLER';

function checkError(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return 'error must be an object';
  const r = e as Rec;
  if (typeof r.code !== 'string' || r.code.length === 0 || r.code.length > 100) return 'error.code must be a non-empty string';
  if (typeof r.message !== 'string') return 'error.message must be a string';
  if (typeof r.retryable !== 'boolean') return 'error.retryable must be a boolean';
  return undefined;
}

/**
 * A newer peer may send a code this build does not know: the result stays valid, under the
 * generic {@link FALLBACK_CODE}, keeping the sender's message and retry advice and the original
 * code in `data.remoteCode` (its data in `data.data`). The packet is fresh off the wire, so it is
 * rewritten in place.
 */
function mapUnknownCode(p: Rec): void {
  const e = p.error as Rec;
  if (isNaniteErrorCode(e.code)) return;
  const data: Rec = { remoteCode: e.code };
  if (e.data !== undefined) data.data = e.data;
  p.error = { code: FALLBACK_CODE, message: e.message, retryable: e.retryable, data };
}

/** The optional `node` of a Register or Ping: absent, or a short non-empty string. */
function isNode(v: unknown): boolean {
  return v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= 255);
}
const NODE_REASON = 'node must be a non-empty string of at most 255 characters';

/** Field checks per packet type; each returns the reason of the first failure. */
const CHECKS: Record<string, (p: Rec) => string | undefined> = {
  register: (p) =>
    !isStr(p.identity) ? 'identity must be a non-empty string'
    : !(Array.isArray(p.routes) && p.routes.every(isRouteInfo)) ? 'routes must be an array of {route, idempotent}'
    : !isStrArray(p.tags) ? 'tags must be an array of strings'
    : p.priority !== undefined && !(isCount(p.priority) && p.priority >= 1 && p.priority <= 16) ? 'priority must be an integer in 1..16'
    : !isNum(p.status) ? 'status must be a finite number'
    : !(isCount(p.concurrency) && p.concurrency > 0) ? 'concurrency must be a positive integer'
    : !(isCount(p.pingInterval) && p.pingInterval > 0) ? 'pingInterval must be a positive integer'
    : p.endpoint !== undefined && !isEndpoint(p.endpoint) ? 'endpoint must be a tcp:// or ipc:// URL (at most 1024 characters)'
    : !isNode(p.node) ? NODE_REASON
    : p.rejoin !== undefined && typeof p.rejoin !== 'boolean' ? 'rejoin must be a boolean'
    : p.version !== undefined && !isAgentVersion(p.version) ? `version must be a non-empty string of at most ${MAX_VERSION_LENGTH} printable characters`
    : undefined,
  ping: (p) =>
    !isStr(p.identity) ? 'identity must be a non-empty string'
    : !isNum(p.status) ? 'status must be a finite number'
    : !isCount(p.inFlight) ? 'inFlight must be a non-negative integer'
    : !isNode(p.node) ? NODE_REASON
    : undefined,
  unregister: (p) => (!isStr(p.identity) ? 'identity must be a non-empty string' : undefined),
  advertise: (p) =>
    !isStr(p.mapper) ? 'mapper must be a non-empty string'
    : p.removed !== undefined && typeof p.removed !== 'boolean' ? 'removed must be a boolean'
    : p.agent !== undefined && !isStr(p.agent) ? 'agent must be a non-empty string'
    : undefined,
  cancel: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.replyTo) ? 'replyTo must be a non-empty string'
    : undefined,
  credit: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.replyTo) ? 'replyTo must be a non-empty string'
    : !isCredit(p.n) ? `n must be an integer from 1 to ${MAX_STREAM_CREDIT}`
    : p.from !== undefined && !isStr(p.from) ? 'from must be a non-empty string'
    : undefined,
  end: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.from) ? 'from must be a non-empty string'
    : !isCount(p.chunks) ? 'chunks must be a non-negative integer'
    : p.error !== undefined ? checkError(p.error)
    : undefined,
  chunk: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.from) ? 'from must be a non-empty string'
    : !isCount(p.seq) ? 'seq must be a non-negative integer'
    : !('data' in p) ? 'data is missing'
    : undefined,
  request: checkRequest,
  push: checkRequest,
  result: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.from) ? 'from must be a non-empty string'
    : typeof p.ok !== 'boolean' ? 'ok must be a boolean'
    : p.status !== undefined && !isNum(p.status) ? 'status must be a finite number'
    : p.ok === false ? checkError(p.error)
    : undefined,
  progress: (p) =>
    !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.from) ? 'from must be a non-empty string'
    : typeof p.key !== 'string' ? 'key must be a string'
    : undefined,
  survey: (p) =>
    !isSurveyId(p.id) ? 'id must be a string of 1..64 characters'
    : !isStr(p.route) || p.route[0] !== '/' ? 'route must be a string starting with /'
    : !isStr(p.replyTo) ? 'replyTo must be a non-empty string'
    : !isTimeout(p.timeout) ? TIMEOUT_REASON
    : p.sentAt !== undefined && !(isNum(p.sentAt) && p.sentAt >= 0) ? 'sentAt must be a non-negative number'
    : p.tags !== undefined && !isStrArray(p.tags) ? 'tags must be an array of strings'
    : undefined,
  answer: (p) =>
    !isSurveyId(p.id) ? 'id must be a string of 1..64 characters'
    : !isStr(p.from) ? 'from must be a non-empty string'
    : typeof p.ok !== 'boolean' ? 'ok must be a boolean'
    : p.ok === false ? checkError(p.error)
    : undefined,
};

/** A packet's `timeout`: ms in [0, 2^31 − 1] (a longer one is no deadline a Node timer can hold: it would fire every millisecond). */
function isTimeout(v: unknown): boolean {
  return isCount(v) && v <= MAX_TIMER_DELAY;
}
const TIMEOUT_REASON = `timeout must be an integer of ms in [0, ${MAX_TIMER_DELAY}]`;

function isSurveyId(v: unknown): v is string {
  return isStr(v) && v.length <= 64;
}

function checkRequest(p: Rec): string | undefined {
  return !isCount(p.id) ? 'id must be a non-negative integer'
    : !isStr(p.route) || p.route[0] !== '/' ? 'route must be a string starting with /'
    : !isStr(p.replyTo) ? 'replyTo must be a non-empty string'
    : !isTimeout(p.timeout) ? TIMEOUT_REASON
    : !isCount(p.hops) ? 'hops must be a non-negative integer'
    : p.traceId !== undefined && typeof p.traceId !== 'string' ? 'traceId must be a string'
    : p.traceparent !== undefined && !isTraceParent(p.traceparent) ? 'traceparent must be a W3C traceparent'
    : p.sentAt !== undefined && !(isNum(p.sentAt) && p.sentAt >= 0) ? 'sentAt must be a non-negative number'
    : p.stream !== undefined && !isCredit(p.stream) ? `stream must be an integer from 1 to ${MAX_STREAM_CREDIT}`
    : p.upload !== undefined && typeof p.upload !== 'boolean' ? 'upload must be a boolean'
    : undefined;
}

/**
 * Validates an unknown value as a packet of this protocol version.
 * Never throws: a malformed input yields `{ ok: false, reason }`.
 */
export function decodePacket(input: unknown): DecodeResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('packet must be an object');
  const p = input as Rec;
  if (p.v !== PROTOCOL_VERSION) return fail(`unsupported protocol version ${describe(p.v)}`);
  const check = typeof p.type === 'string' && Object.prototype.hasOwnProperty.call(CHECKS, p.type) ? CHECKS[p.type] : undefined;
  if (!check) return fail(`unknown packet type ${describe(p.type)}`);
  const reason = check(p);
  if (reason !== undefined) return fail(`${p.type as string}: ${reason}`);
  if (((p.type === 'result' || p.type === 'answer') && p.ok === false) || (p.type === 'end' && p.error !== undefined)) mapUnknownCode(p);
  return { ok: true, packet: input as Packet };
}
