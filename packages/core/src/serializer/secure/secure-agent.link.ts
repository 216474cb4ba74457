/**
 * The agent side of secure mode: the sink the transport feeds (verify, authorize, unwrap) and the
 * link the agent talks to (sign heartbeats, seal replies).
 */
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import type { HeartbeatPacket, ProgressPacket, ReplyPacket, ResultPacket } from '../../protocol/packets';
import type { AgentLink, AgentSink, Settle } from '../../transport/transport';
import { isBoundTo } from './certificates';
import { MAX_BUNDLE, type InnerBytes } from './inner-packet';
import type { SecureCodec } from './secure-codec';
import type { SecureFault, SecureFaults } from './secure-faults';
import type { AuthorizeGossip, AuthorizeRequest } from './secure.options';
import { mayGossip } from './secure-gossip';

/** What the agent-side wrappers share. */
export interface SecureAgentParts {
  identity: string;
  codec: SecureCodec;
  faults: SecureFaults;
  authorizeRequest?: AuthorizeRequest;
  /** Whose "you were removed" (the roster's verdict, like its gossip) stops this agent; default: OU=mapper certificates. */
  authorizeGossip?: AuthorizeGossip;
  log: Logger;
}

/** Wraps an agent's sink: only verified, authorized packets reach it. */
export class SecureAgentSink implements AgentSink {
  /** Set once the inner link is open (a denied request is answered through it). */
  link: AgentLink | undefined;
  /** Set once the secure link is open: a request is settled only after its sealed reply has left. */
  replies: SecureAgentLink | undefined;

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
      if (packet.removed === true && (packet.agent !== this.p.identity || !mayGossip(peer, this.p.authorizeGossip))) {
        // Retiring an agent is the roster's verdict: only a certificate allowed to gossip gives it,
        // and only for the agent it names (the signed frame is not sealed: a copy of another
        // agent's removal, replayed here within maxSkew, would otherwise stop this one too).
        // Anything else still asks for a Register, as a plain Advertise does.
        this.p.faults.record('forbidden-gossip', { agent: this.p.identity, mapper: packet.mapper, removal: true });
        const { removed: _removed, ...plain } = packet;
        return this.inner.onPacket(plain, settle);
      }
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
    // The transport forgets a request when it is settled (its reply cache entry, its reply
    // address): the agent settles right after handing over the result, which the link seals at the
    // end of the turn, so the settle waits for it.
    const replies = this.replies;
    this.inner.onPacket(packet, type === 'request' && replies ? () => replies.settleAfterReplies(settle) : settle);
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

/**
 * Wraps an agent's link: heartbeats leave signed, replies sealed for their mapper.
 *
 * Results and progress are sealed at the end of the event-loop turn that made them (a
 * `process.nextTick`, before the socket is written anyway): the ones for the same mapper go as one
 * bundle, one AEAD operation and one message (ReplyBundler). A lone reply goes as it always did,
 * and a result with no company to wait for goes at once (see `alone`).
 */
export class SecureAgentLink implements AgentLink {
  private readonly bundler: ReplyBundler | undefined;
  /** A result left at once in this turn (see {@link alone}). */
  private sentAtOnce = false;
  private readonly turnEnded = (): void => {
    this.sentAtOnce = false;
  };

  constructor(
    private readonly inner: AgentLink,
    private readonly p: SecureAgentParts,
    readonly addRoutes: AgentLink['addRoutes'],
  ) {
    if (inner.replyMany) this.bundler = new ReplyBundler(inner, p);
  }

  /** As the inner link's (a cancel's `replyTo` is bound to its signer here, besides). */
  get cancelsMayOvertake(): boolean | undefined {
    return this.inner.cancelsMayOvertake;
  }

  broadcast(packet: HeartbeatPacket): void {
    this.inner.broadcast(this.p.codec.sign(packet) as unknown as HeartbeatPacket);
  }

  reply(mapper: string, packet: ReplyPacket): void {
    if (this.bundler) {
      const type = packet.type;
      if (type === 'result' && this.alone()) {
        // Sealed and sent now (below), not after the rest of the agent's turn: at concurrency 1
        // that turn's bookkeeping would otherwise delay every reply.
      } else if (type === 'result' || type === 'progress') return this.bundler.add(mapper, packet);
      // Anything else keeps its order behind what waits for the same mapper.
      else this.bundler.flush(mapper);
    }
    const outer = this.p.codec.seal(packet, mapper);
    if (!outer) {
      this.p.faults.record('no-session', { agent: this.p.identity, mapper });
      return;
    }
    this.inner.reply(mapper, outer as unknown as ResultPacket);
  }

  /**
   * True when a result has no company to wait for: nothing waits to be bundled, the link has no
   * other unsettled delivery (`AgentLink.busy`), and no result left at once earlier in this turn
   * (the deliveries of one socket read are handled in one turn: after the first, the others'
   * results are bundled).
   */
  private alone(): boolean {
    if (this.sentAtOnce || this.bundler?.idle() !== true || this.inner.busy?.() !== false) return false;
    this.sentAtOnce = true;
    process.nextTick(this.turnEnded);
    return true;
  }

  /** Runs `settle` once the replies waiting for the end of the turn have left (now, when none wait). */
  settleAfterReplies(settle: Settle): void {
    if (this.bundler) this.bundler.settleAfter(settle);
    else settle();
  }

  pause(): Promise<void> {
    return this.inner.pause();
  }

  close(): Promise<void> {
    this.bundler?.flushAll();
    return this.inner.close();
  }
}

/** Replies of one mapper waiting for the end of the turn, with their inner bytes. */
interface Waiting {
  packets: ReplyPacket[];
  inner: InnerBytes[];
  bytes: number;
}

/**
 * Collects a turn's results and progress per mapper, and seals each mapper's as bundles. Settles
 * asked for while replies wait run after those replies have left (see {@link settleAfter}).
 */
class ReplyBundler {
  private readonly waiting = new Map<string, Waiting>();
  private settles: Settle[] = [];
  private scheduled = false;
  private readonly endOfTurn = (): void => {
    this.scheduled = false;
    this.flushAll();
  };

  constructor(
    private readonly inner: AgentLink,
    private readonly p: SecureAgentParts,
  ) {}

  add(mapper: string, packet: ResultPacket | ProgressPacket): void {
    // Checked and serialized now: a packet the wire refuses throws to the agent, as a lone seal does.
    const bytes = this.p.codec.inner(packet);
    let w = this.waiting.get(mapper);
    // A bundle stays within the wire's packet limit and MAX_BUNDLE members: past either, the waiting ones go first.
    if (w && (w.packets.length >= MAX_BUNDLE || w.bytes + bytes.length > this.p.codec.bundleLimit(w.packets.length + 1))) {
      this.flush(mapper);
      w = undefined;
    }
    if (!w) this.waiting.set(mapper, (w = { packets: [], inner: [], bytes: 0 }));
    w.packets.push(packet);
    w.inner.push(bytes);
    w.bytes += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.endOfTurn);
    }
  }

  /** True when no reply waits. */
  idle(): boolean {
    return this.waiting.size === 0;
  }

  /**
   * Settles a delivery after what waits has been sent: the transport keeps a request's reply
   * address and reply-cache entry until its delivery is settled, and a result sent after that
   * would go to the mapper's named queue and never be cached (a re-send would run it again).
   */
  settleAfter(settle: Settle): void {
    if (this.idle()) settle();
    else this.settles.push(settle);
  }

  /** Sends everything waiting, then runs the settles that waited for it. */
  flushAll(): void {
    for (const mapper of [...this.waiting.keys()]) this.flush(mapper);
    if (this.settles.length === 0) return;
    const settles = this.settles;
    this.settles = [];
    for (const settle of settles) {
      try {
        settle();
      } catch (err) {
        this.p.log.error({ agent: this.p.identity, err: (err as Error).message }, 'secure: settling a delivery failed');
      }
    }
  }

  /** Seals and sends what waits for `mapper`. Never throws (it runs from a tick). */
  flush(mapper: string): void {
    const w = this.waiting.get(mapper);
    if (!w) return;
    this.waiting.delete(mapper);
    try {
      if (w.packets.length === 1) {
        const outer = this.p.codec.seal(w.packets[0]!, mapper, w.inner[0]);
        if (outer) this.inner.reply(mapper, outer as unknown as ReplyPacket);
        else this.p.faults.record('no-session', { agent: this.p.identity, mapper });
        return;
      }
      const index = new Map<ReplyPacket, InnerBytes>();
      for (let i = 0; i < w.packets.length; i++) index.set(w.packets[i]!, w.inner[i]!);
      this.inner.replyMany!(mapper, w.packets, (group) => {
        const outer = group.length === 1 ? this.p.codec.seal(group[0]!, mapper, index.get(group[0]!)) : this.p.codec.sealBundle(this.p.identity, group.map((m) => index.get(m)!), mapper);
        if (!outer) this.p.faults.record('no-session', { agent: this.p.identity, mapper });
        return outer as unknown as ReplyPacket | undefined;
      });
    } catch (err) {
      this.p.log.error({ agent: this.p.identity, mapper, err: (err as Error).message }, 'secure: sealing replies failed');
    }
  }
}
