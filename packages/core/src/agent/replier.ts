/**
 * Sends an agent's results, errors and progress, turning a value that cannot cross the wire into a
 * `NANITE_ERR_PAYLOAD` error reply at once — never a lost reply and a caller waiting its timeout.
 */
import type { NaniteError, SerializedError } from '../errors';
import { BurstLog } from '../internal/burst-log';
import type { Logger } from '../internal/logger';
import { requestLogIds } from '../observability/trace-context';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../protocol/packets';
import { isPayloadError } from '../protocol/wire-safety';
import { replyOwnResult, type OwnAgentLink } from '../transport/own-link';
import type { AgentLink } from '../transport/transport';

/** Longest message of an error that had to be sent again because it could not cross the wire (UTF-16 units). */
const MAX_FALLBACK_MESSAGE = 1_024;

/** Owns nothing but two burst logs: values that cannot cross the wire, replies the transport refused. */
export class Replier {
  /** Values that could not cross the wire, logged once per route (bounded: routes are this agent's own, but stay safe if there are many). */
  private readonly unsendable: BurstLog;
  /** Replies the transport refused (not for their content); a burst of them ends when a reply goes through. */
  private readonly lost: BurstLog;

  constructor(
    private readonly identity: string,
    logger: Logger,
    private readonly link: () => AgentLink | undefined,
    /** The agent's status now: carried by every result so mappers see it at once, not one ping later. */
    private readonly status?: () => number,
  ) {
    this.unsendable = new BurstLog({ logger, bindings: { agent: identity }, quietMs: Infinity, windowPerKey: true, maxKeys: 100, message: 'a value could not cross the wire' });
    this.lost = new BurstLog({
      logger,
      level: 'error',
      quietMs: Infinity,
      message: 'could not send a result (further failures are only counted until a reply goes through)',
    });
  }

  /** Replies the transport refused (not for their content). */
  get lostCount(): number {
    return this.lost.count;
  }

  /**
   * Sends a successful result. When it cannot cross the wire, sends that `NANITE_ERR_PAYLOAD`
   * error instead and returns it (the agent counts the request as failed).
   */
  result(p: RequestPacket, value: unknown): NaniteError | undefined {
    if (p.type === 'push') return undefined;
    const err = this.sendResult(p, value, this.status?.());
    if (err === undefined) return undefined;
    if (!isPayloadError(err)) {
      this.lose(p, err);
      return undefined;
    }
    this.warnOnce(p, err, 'a result could not cross the wire; the caller got NANITE_ERR_PAYLOAD (further ones of this route are only counted)');
    this.error(p, err);
    return err;
  }

  /**
   * Sends an error reply. When it cannot cross the wire, it goes again without its `data` (replaced
   * by a note saying why) and with its message cut to {@link MAX_FALLBACK_MESSAGE} characters; when
   * even that does not fit (a tiny `maxBytes`), with its code and a fixed message: the caller always
   * hears of the failure at once.
   */
  error(p: RequestPacket, e: NaniteError): void {
    if (p.type === 'push') return;
    const status = this.status?.();
    let err = this.send(p, errorPacket(this.identity, p, e.toJSON(), status));
    if (isPayloadError(err)) {
      const message = e.message.length > MAX_FALLBACK_MESSAGE ? `${e.message.slice(0, MAX_FALLBACK_MESSAGE)}… (cut from ${e.message.length} characters)` : e.message;
      err = this.send(p, errorPacket(this.identity, p, { code: e.code, message, retryable: e.retryable, data: { dropped: err.message } }, status));
    }
    if (isPayloadError(err)) err = this.send(p, errorPacket(this.identity, p, { code: e.code, message: 'The error could not cross the wire', retryable: e.retryable }, status));
    if (err !== undefined) this.lose(p, err);
  }

  /** Sends a progress value; returns the `NANITE_ERR_PAYLOAD` error when it cannot cross the wire. */
  progress(p: RequestPacket, key: string, value: unknown): NaniteError | undefined {
    if (p.type === 'push') return undefined;
    const err = this.send(p, { v: 1, type: 'progress', id: p.id, from: this.identity, key, value });
    if (err === undefined) return undefined;
    if (isPayloadError(err)) {
      this.warnOnce(p, err, 'a progress value could not cross the wire; the request failed with NANITE_ERR_PAYLOAD (further ones of this route are only counted)');
      return err;
    }
    this.lose(p, err);
    return undefined;
  }

  /**
   * A successful result: through the transport's own entry when it has one (memory://: handed over
   * as its parts, no packet built nor re-validated; see transport/own-link.ts). Returns what it threw.
   */
  private sendResult(p: RequestPacket, value: unknown, status: number | undefined): unknown {
    const link = this.link() as OwnAgentLink | undefined;
    const own = link?.[replyOwnResult];
    if (own !== undefined) {
      try {
        if (own.call(link, p.replyTo, p.id, value, status)) {
          this.lost.endBurst();
          return undefined;
        }
      } catch (err) {
        return err;
      }
    }
    // The status goes in the literal (not added later) so every result packet has one shape.
    return this.send(p, { v: 1, type: 'result', id: p.id, from: this.identity, ok: true, result: value, status });
  }

  /** Returns what `reply()` threw, if anything. */
  private send(p: RequestPacket, packet: ResultPacket | ProgressPacket): unknown {
    const link = this.link();
    if (!link) return undefined;
    try {
      link.reply(p.replyTo, packet);
      this.lost.endBurst();
      return undefined;
    } catch (err) {
      return err;
    }
  }

  private lose(p: RequestPacket, err: unknown): void {
    this.lost.record({ err, route: p.route, ...requestLogIds(p) });
  }

  private warnOnce(p: RequestPacket, err: NaniteError, msg: string): void {
    this.unsendable.record({ route: p.route, reason: err.message, ...requestLogIds(p) }, p.route, msg);
  }
}

function errorPacket(from: string, p: RequestPacket, error: SerializedError, status: number | undefined): ResultPacket {
  return { v: 1, type: 'result', id: p.id, from, ok: false, error, status };
}
