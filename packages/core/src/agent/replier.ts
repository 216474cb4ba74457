/**
 * Sends an agent's results, errors and progress, turning a value that cannot cross the wire into a
 * `NANITE_ERR_PAYLOAD` error reply at once — never a lost reply and a caller waiting its timeout.
 */
import type { NaniteError, SerializedError } from '../errors';
import type { Logger } from '../internal/logger';
import type { ProgressPacket, RequestPacket, ResultPacket } from '../protocol/packets';
import { isPayloadError } from '../protocol/wire-safety';
import type { AgentLink } from '../transport/transport';

/** Owns nothing but a bounded set of routes already warned about. */
export class Replier {
  private readonly warned = new Set<string>();
  /** Replies the transport refused (not for their content); logged once per burst of failures. */
  lostCount = 0;
  private inLostBurst = false;

  constructor(
    private readonly identity: string,
    private readonly logger: Logger,
    private readonly link: () => AgentLink | undefined,
  ) {}

  /**
   * Sends a successful result. When it cannot cross the wire, sends that `NANITE_ERR_PAYLOAD`
   * error instead and returns it (the agent counts the request as failed).
   */
  result(p: RequestPacket, value: unknown): NaniteError | undefined {
    if (p.type === 'push') return undefined;
    const err = this.send(p, { v: 1, type: 'result', id: p.id, from: this.identity, ok: true, result: value });
    if (err === undefined) return undefined;
    if (!isPayloadError(err)) {
      this.lost(p, err);
      return undefined;
    }
    this.warnOnce(p.route, err, 'a result could not cross the wire; the caller got NANITE_ERR_PAYLOAD (further ones of this route are only counted)');
    this.error(p, err);
    return err;
  }

  /** Sends an error reply; error `data` that cannot cross the wire is replaced by a note saying why. */
  error(p: RequestPacket, e: NaniteError): void {
    if (p.type === 'push') return;
    let err = this.send(p, errorPacket(this.identity, p, e.toJSON()));
    if (isPayloadError(err)) {
      err = this.send(p, errorPacket(this.identity, p, { code: e.code, message: e.message, retryable: e.retryable, data: { dropped: err.message } }));
    }
    if (err !== undefined) this.lost(p, err);
  }

  /** Sends a progress value; returns the `NANITE_ERR_PAYLOAD` error when it cannot cross the wire. */
  progress(p: RequestPacket, key: string, value: unknown): NaniteError | undefined {
    if (p.type === 'push') return undefined;
    const err = this.send(p, { v: 1, type: 'progress', id: p.id, from: this.identity, key, value });
    if (err === undefined) return undefined;
    if (isPayloadError(err)) {
      this.warnOnce(p.route, err, 'a progress value could not cross the wire; the request failed with NANITE_ERR_PAYLOAD (further ones of this route are only counted)');
      return err;
    }
    this.lost(p, err);
    return undefined;
  }

  /** Returns what `reply()` threw, if anything. */
  private send(p: RequestPacket, packet: ResultPacket | ProgressPacket): unknown {
    const link = this.link();
    if (!link) return undefined;
    try {
      link.reply(p.replyTo, packet);
      this.inLostBurst = false;
      return undefined;
    } catch (err) {
      return err;
    }
  }

  private lost(p: RequestPacket, err: unknown): void {
    this.lostCount++;
    if (this.inLostBurst) return;
    this.inLostBurst = true;
    this.logger.error({ err, route: p.route, requestId: `${p.replyTo}#${p.id}`, lost: this.lostCount }, 'could not send a result (further failures are only counted until a reply goes through)');
  }

  private warnOnce(route: string, err: NaniteError, msg: string): void {
    // Bounded: routes come from this agent's own actors, but stay safe if there are many.
    if (this.warned.has(route) || this.warned.size >= 100) return;
    this.warned.add(route);
    this.logger.warn({ agent: this.identity, route, reason: err.message }, msg);
  }
}

function errorPacket(from: string, p: RequestPacket, error: SerializedError): ResultPacket {
  return { v: 1, type: 'result', id: p.id, from, ok: false, error };
}
