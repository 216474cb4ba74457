/**
 * Mapper-to-mapper gossip: what a transport offers so mappers can share their rosters. Two verbs,
 * nothing more, so the same gossip runs over a broker (a fanout exchange and a direct one), an
 * in-process bus, or later SP sockets without a broker:
 * - `broadcast`: to every mapper (digests; may be lost, they repeat);
 * - `send`: to one mapper by id (deltas and replies; may be lost too).
 * Messages are plain JSON-compatible objects; receivers validate everything.
 */
import { NaniteError } from '../errors';

/** What a mapper gives the transport to hear its peers' gossip. */
export interface GossipSink {
  /** A message from a peer (not yet validated). The sender's own broadcasts are not delivered back. */
  onMessage(message: unknown): void;
  /** Bytes that could not be deserialized. */
  onMalformed?(reason: string): void;
}

/** A mapper's gossip endpoint. Sends are best-effort: while disconnected they are dropped. */
export interface GossipLink {
  /** To every other mapper of the cluster. */
  broadcast(message: object): void;
  /** To one mapper by its id. */
  send(to: string, message: object): void;
  /** Releases the endpoint. Idempotent. */
  close(): Promise<void>;
}

/** A transport that carries gossip between mappers. */
export interface GossipTransport {
  /** Opens `id`'s gossip endpoint. */
  openGossip(id: string, sink: GossipSink): Promise<GossipLink>;
}

/**
 * Opens gossip on the transport a wrapper wraps; a rejection (NANITE_ERR_TRANSPORT) when it carries
 * none, which the mapper logs (its roster then stays its own) instead of going without a word.
 */
export function openInnerGossip(inner: object, id: string, sink: GossipSink): Promise<GossipLink> {
  if (!canGossip(inner)) return Promise.reject(new NaniteError('NANITE_ERR_TRANSPORT', { message: 'the transport underneath carries no roster gossip', data: { reason: NO_GOSSIP } }));
  return inner.openGossip(id, sink);
}

/** `data.reason` of the error {@link openInnerGossip} rejects with when the wrapped transport has no gossip at all. */
export const NO_GOSSIP = 'no-gossip';

/** True when `t` carries gossip. */
export function canGossip(t: object): t is GossipTransport {
  return typeof (t as Partial<GossipTransport>).openGossip === 'function';
}
