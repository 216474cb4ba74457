/**
 * Options of secure mode (`security` on Agent, Mapper and the framework packages).
 */
import type { X509Certificate } from 'node:crypto';
import type { RegisterPacket } from '../../protocol/packets';
import type { AeadChoice } from './aead';
import type { CertificateStore } from './cert-store';

/** A peer whose certificate was verified: what authorization hooks see. */
export interface PeerIdentity {
  /** The certificate identity (CN, or the first DNS/URI SAN without a CN). */
  readonly identity: string;
  /** The verified certificate. */
  readonly certificate: X509Certificate;
}

/** Decides whether an agent may join this mapper's registry. A throw counts as a denial. */
export type AuthorizeRegistration = (peer: PeerIdentity, register: RegisterPacket) => boolean;
/** Decides whether a mapper may call a route on this agent. A throw counts as a denial. */
export type AuthorizeRequest = (caller: PeerIdentity, route: string) => boolean;
/** Decides whether a peer's roster gossip is heard (it can retire agents on every mapper). A throw counts as a denial. */
export type AuthorizeGossip = (peer: PeerIdentity) => boolean;

/** `security: { cert, key, ca }`: run an agent or mapper with a certificate issued by a CA the fabric trusts. */
export interface SecurityOptions {
  /** This endpoint's certificate: PEM text or a file path. Its key must be ECDSA P-256 or Ed25519. */
  cert: string;
  /** The certificate's private key: PEM text (PKCS#8 or SEC1) or a file path. */
  key: string;
  /** The trusted CA certificate(s): PEM text (a bundle may hold several), file paths, or a list of them. */
  ca: string | readonly string[];
  /** Mapper side: only agents this allows enter the registry. Default: every verified agent. */
  authorizeRegistration?: AuthorizeRegistration;
  /** Agent side: which mapper identity may call which route. Default: every verified mapper. */
  authorizeRequest?: AuthorizeRequest;
  /**
   * Mapper side: whose roster gossip this mapper hears (docs/roster.md). Default: certificates
   * whose subject has OU=mapper, as `nanite certs issue <name> --role mapper` makes them.
   */
  authorizeGossip?: AuthorizeGossip;
  /** Mapper side: certificates learned from verified Registers are `put` into it (identity -> certificate). */
  store?: CertificateStore;
  /** Largest clock difference accepted between sender and receiver, ms (default 600 000). */
  maxSkew?: number;
  /** Most peers whose keys and replay windows are kept (default 10 000; the oldest is evicted). */
  maxPeers?: number;
  /**
   * Which AEAD seals unicast packets. `auto` (default): ChaCha20-Poly1305 through the optional
   * dependency `sodium-native` for bodies up to 16 KiB when it is installed (~7× cheaper per message
   * than a node:crypto cipher), AES-256-GCM otherwise. `aes-256-gcm`: AES-256-GCM only (FIPS
   * deployments: ChaCha20 is not an approved cipher). Every endpoint opens both.
   */
  aead?: AeadChoice;
}

/** Defaults of {@link SecurityOptions}. */
export const DEFAULT_SECURITY_OPTIONS = {
  maxSkew: 600_000,
  maxPeers: 10_000,
} as const;
