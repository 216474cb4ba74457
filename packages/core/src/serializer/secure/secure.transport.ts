/**
 * Secure mode as a transport wrapper: agents and mappers hand it plain packets and receive
 * verified ones; the transport underneath (memory://, amqp://, ...) carries envelopes. See
 * docs/security.md for the design and the threat model.
 */
import type { X509Certificate } from 'node:crypto';
import { NaniteError } from '../../errors';
import { defaultLogger, type Logger } from '../../internal/logger';
import { randomSuffix } from '../../internal/ids';
import type { AgentLink, AgentLinkOptions, AgentSink, MapperLink, MapperSink, Transport } from '../../transport/transport';
import { AEAD_CHOICES, isAeadChoice } from './aead';
import { checkCertificate, isBoundTo, loadCertificates, loadPrivateKey } from './certificates';
import { LocalCredential } from './credential';
import { SecureAgentLink, SecureAgentSink } from './secure-agent.link';
import { SecureCodec } from './secure-codec';
import { SecureFaults, type SecureFaultCounts } from './secure-faults';
import { SecureMapperLink, SecureMapperSink } from './secure-mapper.link';
import { SecureGossipLink, SecureGossipSink } from './secure-gossip';
import { openInnerGossip, type GossipLink, type GossipSink } from '../../transport/gossip';
import { DEFAULT_SECURITY_OPTIONS, type SecurityOptions } from './secure.options';

/** Counters of a {@link SecureTransport}. */
export interface SecureTransportStats {
  /** Packets dropped, by reason (see docs/security.md). */
  dropped: SecureFaultCounts;
  /** All drops. */
  droppedTotal: number;
  /** Peer keys held (bounded by `maxPeers`). */
  peers: number;
  /** What seals bodies up to 16 KiB: `sodium-native` (ChaCha20-Poly1305) or `node:crypto` (AES-256-GCM; larger bodies always). */
  aead: 'sodium-native' | 'node:crypto';
}

/** Options of {@link SecureTransport} beyond {@link SecurityOptions}. */
export interface SecureTransportOptions {
  /** Close the wrapped transport with this one (default true). */
  ownsInner?: boolean;
  logger?: Logger;
  /** The clock (epoch ms); for tests. */
  now?: () => number;
}

/** Wraps a transport: every packet signed (broadcasts) or sealed (unicast), every arrival verified. */
export class SecureTransport implements Transport {
  /** The certificate identity of this endpoint. */
  readonly identity: string;
  private readonly codec: SecureCodec;
  private readonly faults: SecureFaults;
  private readonly o: SecurityOptions;
  private readonly ownsInner: boolean;
  private readonly log: Logger;

  constructor(
    private readonly inner: Transport,
    security: SecurityOptions,
    options: SecureTransportOptions = {},
  ) {
    checkSecurityShape(security);
    if (security.aead !== undefined && !isAeadChoice(security.aead)) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `security.aead must be one of ${AEAD_CHOICES.join(', ')}, not ${JSON.stringify(security.aead)}` });
    }
    this.o = security;
    this.ownsInner = options.ownsInner ?? true;
    const now = options.now ?? Date.now;
    const cas = loadCertificates(security.ca, 'CA certificate');
    const [cert] = loadCertificates(security.cert, 'certificate') as [X509Certificate];
    const check = checkCertificate(cert, cas, now());
    if (!check.ok) throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `The certificate ${cert.subject.replace(/\n/g, ', ')} is unusable: ${check.reason}`, data: { reason: check.reason } });
    this.identity = check.identity;
    const local = new LocalCredential(cert, loadPrivateKey(security.key), check.identity, now());
    this.codec = new SecureCodec({
      local,
      cas,
      maxSkew: security.maxSkew ?? DEFAULT_SECURITY_OPTIONS.maxSkew,
      maxPeers: security.maxPeers ?? DEFAULT_SECURITY_OPTIONS.maxPeers,
      now,
      aead: security.aead ?? 'auto',
    });
    this.log = options.logger ?? defaultLogger('nanite-secure');
    this.faults = new SecureFaults(this.log, { identity: this.identity });
  }

  get url(): string {
    return this.inner.url;
  }

  get isConnected(): boolean | undefined {
    return this.inner.isConnected;
  }

  /** An address for an agent or mapper bound to this certificate: the identity itself for an agent, `identity#<random>` for a mapper. */
  defaultIdentity(kind: 'agent' | 'mapper'): string {
    return kind === 'agent' ? this.identity : `${this.identity}#${randomSuffix()}`;
  }

  /** Counters of what was dropped. */
  stats(): SecureTransportStats {
    return { dropped: this.faults.counts(), droppedTotal: this.faults.total, peers: this.codec.peers.size, aead: this.codec.aead.backend };
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.inner.onConnectionChange?.(listener) ?? (() => undefined);
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    this.assertBound(identity);
    const parts = { identity, codec: this.codec, faults: this.faults, log: this.log, ...(this.o.authorizeRequest ? { authorizeRequest: this.o.authorizeRequest } : {}), ...(this.o.authorizeGossip ? { authorizeGossip: this.o.authorizeGossip } : {}) };
    const secureSink = new SecureAgentSink(sink, parts);
    const link = await this.inner.openAgent(identity, secureSink, options);
    secureSink.link = link;
    const secureLink = new SecureAgentLink(link, parts, link.addRoutes?.bind(link));
    secureSink.replies = secureLink;
    return secureLink;
  }

  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    this.assertBound(id);
    const parts = {
      id,
      codec: this.codec,
      faults: this.faults,
      ...(this.o.authorizeRegistration ? { authorizeRegistration: this.o.authorizeRegistration } : {}),
      ...(this.o.store ? { store: this.o.store } : {}),
    };
    const link = await this.inner.openMapper(id, new SecureMapperSink(sink, parts));
    return new SecureMapperLink(link, sink, parts);
  }

  /** Roster gossip between mappers: signed, and heard only from certificates allowed to gossip (see secure-gossip.ts). */
  async openGossip(id: string, sink: GossipSink): Promise<GossipLink> {
    this.assertBound(id);
    const parts = { id, codec: this.codec, faults: this.faults, ...(this.o.authorizeGossip ? { authorizeGossip: this.o.authorizeGossip } : {}) };
    const link = await openInnerGossip(this.inner, id, new SecureGossipSink(sink, parts));
    return new SecureGossipLink(link, parts);
  }

  close(): Promise<void> {
    return this.ownsInner ? this.inner.close() : Promise.resolve();
  }

  private assertBound(address: string): void {
    if (!isBoundTo(address, this.identity)) {
      throw new NaniteError('NANITE_ERR_CERTIFICATE', { message: `"${address}" is not an identity of certificate "${this.identity}" (use "${this.identity}" or "${this.identity}#suffix")` });
    }
  }
}

/** `security` has the fields secure mode reads, each of the right type (a raw TypeError from deep inside otherwise). */
function checkSecurityShape(security: unknown): asserts security is SecurityOptions {
  const s = security as Record<string, unknown> | null;
  const bad = (field: string, expected: string): never => {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `security${field ? `.${field}` : ''} must be ${expected}`, data: { option: field ? `security.${field}` : 'security' } });
  };
  if (typeof s !== 'object' || s === null || Array.isArray(s)) bad('', 'an object with cert, key and ca (docs/security.md)');
  if (typeof s!.cert !== 'string') bad('cert', 'PEM text or a file path');
  if (typeof s!.key !== 'string') bad('key', 'PEM text or a file path');
  const ca = s!.ca;
  if (typeof ca !== 'string' && !(Array.isArray(ca) && ca.length > 0 && ca.every((c) => typeof c === 'string'))) bad('ca', 'PEM text, a file path, or a non-empty list of them');
  for (const fn of ['authorizeRegistration', 'authorizeRequest', 'authorizeGossip'] as const) if (s![fn] !== undefined && typeof s![fn] !== 'function') bad(fn, 'a function');
  for (const n of ['maxSkew', 'maxPeers'] as const) if (s![n] !== undefined && !(typeof s![n] === 'number' && Number.isInteger(s![n]) && (s![n] as number) > 0)) bad(n, 'a positive integer');
}
