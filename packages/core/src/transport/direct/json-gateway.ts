/**
 * The JSON face of an agent's SP endpoint, for plain REQ and SURVEYOR peers (nanomsg, NNG, any
 * language): the body `{"route":"/simple/echo","payload":"hi"}` (optionally `"timeout": ms`) runs
 * the route like a request from a mapper; the reply body is `{"ok":true,"result":…}` or
 * `{"ok":false,"error":{"code":"NANITE_ERR_…","message":"…"}}`. A body that is not such JSON gets an
 * error reply at once and is counted, as do a request over `maxJsonPending` (`NANITE_ERR_OVERLOADED`)
 * and a result too large for the endpoint's `maxMessageSize` (`NANITE_ERR_PAYLOAD`). A request
 * whose connection closes before its result is aborted. A REQ client's resend of a request still
 * running (same connection, same backtrace: after its resend interval) does not run it again: the
 * one reply answers it.
 */
import { NaniteError, type SerializedError } from '../../errors';
import { utf8Bytes } from '../../internal/utf8';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../../protocol/packets';
import type { SpPipeInfo } from '../sp/sp-pipe';
import type { SpRequest } from '../sp/sp-replier';
import type { AgentSink } from '../transport';
import { MAX_TIMER_DELAY } from '../../internal/timers';

/** The `replyTo` of requests that came from JSON peers (never a mapper's identity). */
export const JSON_REPLY_TO = '~sp-json';

/** True for a packet from a peer that names the JSON face as its sender: only the gateway may. */
export function namesJsonFace(packet: unknown): boolean {
  return typeof packet === 'object' && packet !== null && (packet as { replyTo?: unknown }).replyTo === JSON_REPLY_TO;
}

/**
 * The agent's sink as the control plane sees it: a packet from a peer whose `replyTo` is
 * {@link JSON_REPLY_TO} is dropped as malformed, so no peer can answer or cancel a JSON client's
 * request in its name (the gateway's own requests reach the agent directly).
 */
export function refusingJsonFace(sink: AgentSink): AgentSink {
  const guarded: AgentSink = {
    onPacket: (packet, settle) => {
      if (!namesJsonFace(packet)) return sink.onPacket(packet, settle);
      sink.onMalformed(RESERVED_REASON);
      settle();
    },
    onMalformed: (reason) => sink.onMalformed(reason),
  };
  if (sink.onReconnect) guarded.onReconnect = () => sink.onReconnect!();
  const local = sink.onLocalRequest;
  if (local) {
    guarded.onLocalRequest = (packet, settle, receivedAt) => {
      if (packet.replyTo !== JSON_REPLY_TO) return local.call(sink, packet, settle, receivedAt);
      sink.onMalformed(RESERVED_REASON);
      settle();
      return 0;
    };
  }
  return guarded;
}

/** Why a peer's packet naming the JSON face was dropped. */
export const RESERVED_REASON = `replyTo ${JSON_REPLY_TO} is reserved for the agent's own JSON face`;

/** Longest route accepted in a JSON body. */
const MAX_ROUTE = 1_024;

/** Counters of the JSON face. */
export interface JsonGatewayStats {
  /** Bodies run as requests. */
  requests: number;
  /** Bodies refused (not JSON, no route, bad timeout) with an error reply. */
  malformed: number;
  /** Requests refused because the agent is draining. */
  refused: number;
  /** Replies sent. */
  replies: number;
  /** Results too large for the endpoint's `maxMessageSize`, answered `NANITE_ERR_PAYLOAD` instead. */
  oversized: number;
  /** Requests over `maxJsonPending`, answered `NANITE_ERR_OVERLOADED` at once (not run). */
  overloaded: number;
  /** Running requests aborted because the connection they came on closed (their answer had nowhere to go). */
  abandoned: number;
  /** Resends of a request still running on the same connection (a REQ's resend interval passed): not run again. */
  resendsIgnored: number;
}

/** Where the gateway hands the requests it built. */
export interface JsonGatewayTarget {
  /** Runs a request packet on the agent (as if a mapper had sent it). */
  deliver(packet: RequestPacket): void;
  /** Aborts the request `id` delivered before (its client is gone). */
  abort(id: number): void;
  /** False once the agent stopped taking work. */
  accepting(): boolean;
}

/** Turns SP JSON bodies into request packets and result packets back into JSON bodies. */
export class JsonGateway {
  private readonly waiting = new Map<number, SpRequest>();
  /**
   * Ids of the waiting requests by the connection they came on (to abort them when it closes), each
   * under its backtrace (to know a resend of one still running).
   */
  private readonly byPipe = new Map<SpPipeInfo, Map<string, number>>();
  private nextId = 1;
  private readonly counts: JsonGatewayStats = { requests: 0, malformed: 0, refused: 0, replies: 0, oversized: 0, overloaded: 0, abandoned: 0, resendsIgnored: 0 };

  constructor(private readonly target: JsonGatewayTarget) {}

  /** Requests waiting for their result now. */
  get size(): number {
    return this.waiting.size;
  }

  /** Counters (a copy). */
  stats(): JsonGatewayStats {
    return { ...this.counts };
  }

  /** Handles one REQ or SURVEYOR body (the SP socket bounds how many are pending). */
  handle(request: SpRequest): void {
    const key = request.backtrace.toString('latin1');
    let ids = this.byPipe.get(request.pipe);
    if (ids?.has(key)) {
      // The same request again, its first copy still running: that one's reply (same connection,
      // same backtrace) answers the client. Running it again would run a route that may not be idempotent twice.
      this.counts.resendsIgnored++;
      request.drop();
      return;
    }
    const parsed = parseBody(request.body);
    if (parsed instanceof NaniteError) {
      this.counts.malformed++;
      this.send(request, { ok: false, error: { code: parsed.code, message: parsed.message } });
      return;
    }
    if (!this.target.accepting()) {
      this.counts.refused++;
      this.send(request, { ok: false, error: { code: 'NANITE_ERR_SHUTTING_DOWN', message: 'The agent is shutting down' } });
      return;
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fff_ffff ? 1 : this.nextId + 1;
    this.waiting.set(id, request);
    if (!ids) this.byPipe.set(request.pipe, (ids = new Map()));
    ids.set(key, id);
    this.counts.requests++;
    this.target.deliver({ v: 1, type: 'request', id, route: parsed.route, payload: parsed.payload, replyTo: JSON_REPLY_TO, timeout: parsed.timeout, hops: 0, sentAt: Date.now() });
  }

  /** A result or progress addressed to {@link JSON_REPLY_TO}: results go back as JSON, progress is not carried. */
  reply(packet: ResultPacket | ProgressPacket): void {
    if (packet.type !== 'result') return;
    const request = this.waiting.get(packet.id);
    if (!request) return;
    this.forget(packet.id, request);
    const error = packet.error as SerializedError | undefined;
    this.send(request, packet.ok ? { ok: true, result: packet.result } : { ok: false, error: { code: error?.code ?? 'NANITE_ERR_HANDLER', message: error?.message ?? '' } });
  }

  /**
   * A request received while `maxJsonPending` are pending (the SP socket's overflow hook): answered
   * `NANITE_ERR_OVERLOADED` at once, not run, so the client need not wait for its timeout.
   */
  overloaded(request: SpRequest): void {
    this.counts.overloaded++;
    this.send(request, { ok: false, error: { code: 'NANITE_ERR_OVERLOADED', message: 'The agent has too many SP (JSON) requests pending' } });
  }

  /**
   * The connection `pipe` closed: its requests still running are aborted. Their answer could go
   * nowhere (a REQ client resends on another connection, as a new request), and without a
   * deadline they would hold the agent's slots for ever.
   */
  pipeDown(pipe: SpPipeInfo): void {
    const ids = this.byPipe.get(pipe);
    if (!ids) return;
    this.byPipe.delete(pipe);
    for (const id of ids.values()) {
      this.waiting.delete(id);
      this.counts.abandoned++;
      this.target.abort(id);
    }
  }

  /** Forgets every waiting request (the endpoint is closing). */
  clear(): void {
    this.waiting.clear();
    this.byPipe.clear();
  }

  private forget(id: number, request: SpRequest): void {
    this.waiting.delete(id);
    const ids = this.byPipe.get(request.pipe);
    if (!ids) return;
    ids.delete(request.backtrace.toString('latin1'));
    if (ids.size === 0) this.byPipe.delete(request.pipe);
  }

  private send(request: SpRequest, body: object): void {
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch (err) {
      text = JSON.stringify({ ok: false, error: { code: 'NANITE_ERR_PAYLOAD', message: `The result cannot be sent as JSON: ${err instanceof Error ? err.message : String(err)}` } });
    }
    let bytes = utf8Bytes(text);
    if (bytes.length > request.maxReply) {
      // Sent as is, it would be refused (the client would hang up on it and resend, running the
      // route again): the client gets this error at once instead.
      this.counts.oversized++;
      bytes = utf8Bytes(JSON.stringify({ ok: false, error: { code: 'NANITE_ERR_PAYLOAD', message: `The reply (${bytes.length} bytes) exceeds the endpoint's maxMessageSize (${request.maxReply} bytes for its body)` } }));
    }
    if (request.reply(bytes)) this.counts.replies++;
  }
}

interface JsonRequest {
  route: string;
  payload: unknown;
  timeout: number;
}

function bad(message: string): NaniteError {
  return new NaniteError('NANITE_ERR_MALFORMED_PACKET', { message });
}

function parseBody(body: Buffer): JsonRequest | NaniteError {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return bad('The request body is not JSON: expected {"route":"/actor/method","payload":…}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('The request body must be a JSON object {"route":"/actor/method","payload":…}');
  const r = value as Record<string, unknown>;
  if (typeof r.route !== 'string' || r.route[0] !== '/' || r.route.length > MAX_ROUTE) return bad('"route" must be a string starting with / (at most 1024 characters)');
  const timeout = r.timeout ?? 0;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMER_DELAY) return bad('"timeout" must be a non-negative integer (ms)');
  return { route: r.route, payload: r.payload, timeout };
}
