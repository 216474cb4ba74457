/**
 * The mapper side of secure mode: the sink the transport feeds (verify, authorize registrations,
 * unwrap) and the link the mapper talks to (seal requests for their agent, sign advertises).
 */
import type { X509Certificate } from 'node:crypto';
import type { AgentBoundPacket, AgentBroadcastPacket, RegisterPacket, RequestPacket } from '../../protocol/packets';
import type { MapperLink, MapperSink, SendOptions, VerifiedSender } from '../../transport/transport';
import { isBoundTo } from './certificates';
import type { SecureCodec } from './secure-codec';
import type { SecureFault, SecureFaults } from './secure-faults';
import type { AuthorizeRegistration } from './secure.options';
import type { CertificateStore } from './cert-store';

/** What the mapper-side wrappers share. */
export interface SecureMapperParts {
  id: string;
  codec: SecureCodec;
  faults: SecureFaults;
  authorizeRegistration?: AuthorizeRegistration;
  store?: CertificateStore;
}

/** Where a sealed outer request keeps its inner packet (handed back by the transport when undeliverable); a symbol never comes off the wire. */
const INNER = Symbol('nanite.secure.inner');

/** Stands in for a bundle member already delivered. */
const NOTHING: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Wraps a mapper's sink: only verified packets of authorized agents reach it. */
export class SecureMapperSink implements MapperSink {
  /** Agent key ids whose registration was refused (their pings are dropped too); bounded. */
  private readonly denied = new Set<string>();
  /** The packet the last accept() verified (a bundle's members), until onPacket() delivers it. */
  private accepted: Record<string, unknown> | Record<string, unknown>[] | undefined;
  /** Who signed the last accepted Register (handed on with it). */
  private acceptedSender: VerifiedSender | undefined;

  constructor(
    private readonly inner: MapperSink,
    private readonly p: SecureMapperParts,
  ) {}

  /** Verifies a packet before the transport acts on its addressing: the inner packet, or undefined (dropped and counted). */
  accept(outer: unknown): unknown {
    this.acceptedSender = undefined;
    const opened = this.p.codec.open(outer);
    if (typeof opened === 'string') return this.drop(opened);
    const { packet, peer, hex, sealed } = opened;
    if (opened.bundle) {
      // Results and progress of one agent (the codec checked each member's type and `from` against
      // the outer packet): accepted together or not at all.
      if (typeof packet.from !== 'string' || !isBoundTo(packet.from, peer.identity)) return this.drop('impersonation');
      return (this.accepted = opened.bundle);
    }
    const type = packet.type;
    if (type === 'register' || type === 'ping' || type === 'unregister') {
      if (sealed) return this.drop('wrong-kind');
      if (typeof packet.identity !== 'string' || !isBoundTo(packet.identity, peer.identity)) return this.drop('impersonation');
      if (type === 'register') {
        if (!this.allowed(peer, packet as unknown as RegisterPacket)) {
          if (this.denied.size >= 10_000) this.denied.clear();
          this.denied.add(hex);
          return this.drop('forbidden-registration', { agent: packet.identity });
        }
        this.denied.delete(hex);
        this.p.codec.peers.bind(packet.identity, hex);
        this.p.store?.put?.(packet.identity, peer.certificate);
      } else if (this.denied.has(hex)) {
        return this.drop('forbidden-registration', { agent: packet.identity });
      } else if (type === 'ping') {
        // A restarted agent whose Register this mapper missed: requests must be sealed for its new key.
        this.p.codec.peers.bind(packet.identity, hex);
      }
      // The certificate subject the roster shows comes from the verified signer, never from the packet.
      this.acceptedSender = type === 'register' ? { subject: peer.certificate.subject.replace(/\n/g, ', ') } : undefined;
      return (this.accepted = packet);
    }
    // Results, progress, survey answers and stream chunks/credit: sealed by the agent they claim to come from.
    if (type !== 'result' && type !== 'progress' && type !== 'answer' && type !== 'chunk' && type !== 'credit') return this.drop('wrong-kind');
    if (!sealed) return this.drop('wrong-kind');
    if (typeof packet.from !== 'string' || !isBoundTo(packet.from, peer.identity)) return this.drop('impersonation');
    return (this.accepted = packet);
  }

  onPacket(packet: unknown): void {
    const a = this.accepted;
    // A member of the bundle accept() just verified (transports that call the gate hand them one by one).
    if (Array.isArray(a) && packet !== undefined) {
      const i = a.indexOf(packet as Record<string, unknown>);
      if (i >= 0) {
        a[i] = NOTHING; // each member once
        this.inner.onPacket(packet);
        return;
      }
    }
    // The packet accept() just verified, or an outer packet to verify now.
    const verified = packet === a && packet !== undefined ? packet : this.accept(packet);
    const sender = this.acceptedSender;
    this.accepted = undefined;
    this.acceptedSender = undefined;
    if (Array.isArray(verified)) {
      for (const member of verified) this.inner.onPacket(member);
    } else if (verified !== undefined) this.inner.onPacket(verified, sender);
  }

  onMalformed(reason: string): void {
    this.inner.onMalformed(reason);
  }

  onUndeliverable(outer: RequestPacket, agent: string): void {
    const inner = (outer as unknown as { [INNER]?: RequestPacket })[INNER] ?? this.p.codec.openOwn(outer);
    if (inner) this.inner.onUndeliverable(inner as unknown as RequestPacket, agent);
  }

  onAgentGone(agent: string): void {
    this.inner.onAgentGone?.(agent);
  }

  onReconnect(): void {
    this.inner.onReconnect?.();
  }

  private allowed(peer: { identity: string; certificate: X509Certificate }, register: RegisterPacket): boolean {
    const hook = this.p.authorizeRegistration;
    if (!hook) return true;
    try {
      return hook({ identity: peer.identity, certificate: peer.certificate }, register) === true;
    } catch {
      return false; // a hook that throws denies: failing closed
    }
  }

  private drop(fault: SecureFault, detail?: object): undefined {
    this.p.faults.record(fault, { mapper: this.p.id, ...detail });
    this.inner.onMalformed(`secure: ${fault}`);
    return undefined;
  }
}

/** Wraps a mapper's link: requests, pushes and cancels leave sealed for their agent; advertises signed. */
export class SecureMapperLink implements MapperLink {
  constructor(
    private readonly inner: MapperLink,
    private readonly sink: MapperSink,
    private readonly p: SecureMapperParts,
  ) {}

  send(agent: string, packet: AgentBoundPacket, options?: SendOptions): void {
    if (packet.type === 'advertise') {
      this.inner.send(agent, this.p.codec.sign(packet) as unknown as AgentBoundPacket, options);
      return;
    }
    const outer = this.p.codec.seal(packet, agent);
    if (!outer) {
      this.p.faults.record('no-session', { mapper: this.p.id, agent });
      // The registry only holds agents whose Register was verified, so this is an agent forgotten meanwhile: re-dispatch.
      if (packet.type === 'request') queueMicrotask(() => this.sink.onUndeliverable(packet, agent));
      return;
    }
    if (packet.type === 'request') (outer as { [INNER]?: RequestPacket })[INNER] = packet;
    this.inner.send(agent, outer as unknown as AgentBoundPacket, options);
  }

  broadcast(packet: AgentBroadcastPacket): void {
    // Advertises and surveys: signed, readable by every agent (a survey's payload is not secret from the fabric's agents).
    this.inner.broadcast(this.p.codec.sign(packet) as unknown as AgentBroadcastPacket);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
