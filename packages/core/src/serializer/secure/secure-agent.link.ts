/**
 * The agent side of secure mode: the sink the transport feeds (verify, authorize, unwrap) and the
 * link the agent talks to (sign heartbeats, seal replies).
 */
import { NaniteError } from '../../errors';
import type { HeartbeatPacket, ProgressPacket, ResultPacket } from '../../protocol/packets';
import type { AgentLink, AgentSink, Settle } from '../../transport/transport';
import { isBoundTo } from './certificates';
import type { SecureCodec } from './secure-codec';
import type { SecureFault, SecureFaults } from './secure-faults';
import type { AuthorizeRequest } from './secure.options';

/** What the agent-side wrappers share. */
export interface SecureAgentParts {
  identity: string;
  codec: SecureCodec;
  faults: SecureFaults;
  authorizeRequest?: AuthorizeRequest;
}

/** Wraps an agent's sink: only verified, authorized packets reach it. */
export class SecureAgentSink implements AgentSink {
  /** Set once the inner link is open (a denied request is answered through it). */
  link: AgentLink | undefined;

  constructor(
    private readonly inner: AgentSink,
    private readonly p: SecureAgentParts,
  ) {}

  onPacket(outer: unknown, settle: Settle): void {
    const opened = this.p.codec.open(outer);
    if (typeof opened === 'string') return this.drop(opened, settle);
    const { packet, peer, hex, sealed } = opened;
    const type = packet.type;
    if (type === 'advertise') {
      if (sealed) return this.drop('wrong-kind', settle);
      if (typeof packet.mapper !== 'string' || !isBoundTo(packet.mapper, peer.identity)) return this.drop('impersonation', settle);
      this.p.codec.peers.bind(packet.mapper, hex);
      return this.inner.onPacket(packet, settle);
    }
    if (type === 'survey') {
      // Broadcast by its mapper: signed, not sealed; the answer is sealed for that mapper.
      if (sealed) return this.drop('wrong-kind', settle);
      if (typeof packet.replyTo !== 'string' || !isBoundTo(packet.replyTo, peer.identity)) return this.drop('impersonation', settle);
      this.p.codec.peers.bind(packet.replyTo, hex);
      if (!this.allowed(peer, packet.route)) {
        this.p.faults.record('forbidden-request', { caller: peer.identity, route: packet.route });
        settle();
        return;
      }
      return this.inner.onPacket(packet, settle);
    }
    if (type === 'chunk' || type === 'end') {
      // An upload's chunks and end: sealed by the mapper that sent the request.
      if (!sealed) return this.drop('wrong-kind', settle);
      if (typeof packet.from !== 'string' || !isBoundTo(packet.from, peer.identity)) return this.drop('impersonation', settle);
      return this.inner.onPacket(packet, settle);
    }
    if (type !== 'request' && type !== 'push' && type !== 'cancel' && type !== 'credit') return this.drop('wrong-kind', settle);
    if (!sealed) return this.drop('wrong-kind', settle);
    const replyTo = packet.replyTo;
    if (typeof replyTo !== 'string' || !isBoundTo(replyTo, peer.identity)) return this.drop('impersonation', settle);
    this.p.codec.peers.bind(replyTo, hex);
    if (type !== 'cancel' && type !== 'credit' && !this.allowed(peer, packet.route)) {
      this.p.faults.record('forbidden-request', { caller: peer.identity, route: packet.route });
      if (type === 'request' && typeof packet.id === 'number') this.forbid(replyTo, packet.id, peer.identity, packet.route);
      settle();
      return;
    }
    this.inner.onPacket(packet, settle);
  }

  onMalformed(reason: string): void {
    this.inner.onMalformed(reason);
  }

  onReconnect(): void {
    this.inner.onReconnect?.();
  }

  private allowed(peer: { identity: string; certificate: import('node:crypto').X509Certificate }, route: unknown): boolean {
    const hook = this.p.authorizeRequest;
    if (!hook) return true;
    try {
      return hook({ identity: peer.identity, certificate: peer.certificate }, String(route)) === true;
    } catch {
      return false; // a hook that throws denies: failing closed
    }
  }

  private forbid(replyTo: string, id: number, caller: string, route: unknown): void {
    const error = new NaniteError('NANITE_ERR_FORBIDDEN', { message: `${caller} may not call ${String(route)} on ${this.p.identity}` });
    const result: ResultPacket = { v: 1, type: 'result', id, from: this.p.identity, ok: false, error: { code: error.code, message: error.message, retryable: false } };
    const outer = this.p.codec.seal(result, replyTo);
    if (outer) this.link?.reply(replyTo, outer as unknown as ResultPacket);
  }

  private drop(fault: SecureFault, settle: Settle): void {
    this.p.faults.record(fault, { agent: this.p.identity });
    this.inner.onMalformed(`secure: ${fault}`);
    settle();
  }
}

/** Wraps an agent's link: heartbeats leave signed, replies sealed for their mapper. */
export class SecureAgentLink implements AgentLink {
  constructor(
    private readonly inner: AgentLink,
    private readonly p: SecureAgentParts,
    readonly addRoutes: AgentLink['addRoutes'],
  ) {}

  broadcast(packet: HeartbeatPacket): void {
    this.inner.broadcast(this.p.codec.sign(packet) as unknown as HeartbeatPacket);
  }

  reply(mapper: string, packet: ResultPacket | ProgressPacket): void {
    const outer = this.p.codec.seal(packet, mapper);
    if (!outer) {
      this.p.faults.record('no-session', { agent: this.p.identity, mapper });
      return;
    }
    this.inner.reply(mapper, outer as unknown as ResultPacket);
  }

  pause(): Promise<void> {
    return this.inner.pause();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
