/**
 * Options of the amqp:// transport and how they are read from its URL.
 */
import { NODES_PARAM } from '../host-list';
import { parseTransportUrl } from '../redact-url';
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import type { Serializer } from '../../serializer/serializer';

/**
 * What an agent does with a redelivered message. Either way every delivery is acknowledged when
 * its handler settles, so at most `prefetch` (= the agent's concurrency) are unsettled at once; the
 * rest wait at the broker and go back to their mapper when the agent drains.
 * - `ack-after-handler`: a message the broker redelivers (after a channel failure) runs again.
 * - `at-most-once`: never run twice: a redelivered request is answered from the reply cache, a
 *   redelivered push is dropped and counted (`droppedRedeliveries`).
 */
export type AmqpDelivery = 'ack-after-handler' | 'at-most-once';

/** Which kind of durable queue holds parked (offline-failsafe) requests; see docs/amqp.md, "Clusters". */
export type AmqpQueueType = 'classic' | 'quorum';

/** In which order the transport tries the nodes of a cluster: `shuffled` (spreads clients over the nodes) or as `ordered`. */
export type AmqpNodeOrder = 'shuffled' | 'ordered';

/** Options of {@link AmqpTransport}. */
export interface AmqpTransportOptions {
  /**
   * Broker URL, `amqp://user:pass@host:port/vhost` or `amqps://...`; the nodes of a cluster as a host
   * list, `amqp://user:pass@h1:5672,h2:5672,h3:5672/vhost`. Query options are read from it too.
   * Give `url`, `urls`, or both (then `urls` names the nodes and `url`'s query options apply).
   */
  url?: string;
  /** The nodes of a cluster, one URL each (e.g. `['amqp://u:p@h1:5672/v', 'amqp://u:p@h2:5672/v']`). */
  urls?: readonly string[];
  /** Order in which the nodes are tried (also `?nodeOrder=`). Default `shuffled`. */
  nodeOrder?: AmqpNodeOrder;
  /**
   * Queue type of the durable park queues (also `?queueType=`): `quorum` replicates parked requests
   * over the cluster's nodes (a parked request survives the loss of any one node). Default `quorum`
   * when more than one node is given, else `classic`. Every agent and mapper of one prefix must agree.
   */
  queueType?: AmqpQueueType;
  /** Prefix of every exchange and queue name (one application = one prefix, usually one vhost). Default `nanite`. */
  prefix?: string;
  /** AMQP heartbeat (s): how fast the broker notices a peer whose host vanished. Default 5. */
  heartbeat?: number;
  /** Socket connect timeout (ms). Default 5 000. */
  connectTimeout?: number;
  /** First reconnect delay (ms); doubles per attempt, with ±20% jitter. Default 100. */
  reconnectMin?: number;
  /** Longest reconnect delay (ms). Default 2 000. */
  reconnectMax?: number;
  /** When true, `connect()` rejects with `NANITE_ERR_NOT_CONNECTED` if the broker is unreachable instead of resolving and retrying in the background. Default false. */
  failFast?: boolean;
  /** Publishes a link may hold while disconnected before failing with `NANITE_ERR_BUFFER_FULL` (0: fail at once with `NANITE_ERR_NOT_CONNECTED`). Default 10 000. */
  bufferSize?: number;
  /** Default delivery of requests on agents of this transport. Default `ack-after-handler`. */
  delivery?: AmqpDelivery;
  /** Per-route delivery on agents of this transport (per action), e.g. `{ '/metrics/record': 'at-most-once' }`. */
  routeDelivery?: Readonly<Record<string, AmqpDelivery>>;
  /** How often a mapper checks that agents holding its requests are still there (ms). Default 250. */
  probeInterval?: number;
  /** After a reconnect, how long a mapper waits for an agent holding its requests to come back before reporting it gone (ms). Default 10 000. */
  rejoinTimeout?: number;
  /** How long an agent keeps results to answer a re-sent request without running it again (ms). Default 5 000. */
  dedupWindow?: number;
  /** Coalesce the socket writes of one event-loop turn into one (see write-batcher.ts). Default true. */
  batchWrites?: boolean;
  /**
   * Mappers publish requests and pushes to an agent's queue by name through the default exchange
   * (`amq.default`) when the vhost lets them write there, found out once per connection; else, and
   * when false, through the `P.agent` exchange (also `?defaultExchange=`). The default exchange skips
   * a route lookup per request (2–5 % at concurrency 1). False spares a broker whose permissions
   * refuse it the connection's refused probe (an ACCESS_REFUSED line in its log). Default true.
   */
  defaultExchange?: boolean;
  /** Wire format. Default {@link JsonSerializer}. */
  serializer?: Serializer;
  logger?: Logger;
}

/** Defaults of {@link AmqpTransportOptions}. */
export const DEFAULT_AMQP_OPTIONS = {
  prefix: 'nanite',
  heartbeat: 5,
  connectTimeout: 5_000,
  reconnectMin: 100,
  reconnectMax: 2_000,
  failFast: false,
  bufferSize: 10_000,
  delivery: 'ack-after-handler',
  probeInterval: 250,
  rejoinTimeout: 10_000,
  dedupWindow: 5_000,
  batchWrites: true,
  defaultExchange: true,
} as const satisfies Partial<AmqpTransportOptions>;

/** Query parameters Nanite reads (and removes before handing the URL to amqplib). */
const NUMERIC = ['heartbeat', 'connectTimeout', 'reconnectMin', 'reconnectMax', 'bufferSize', 'probeInterval', 'rejoinTimeout', 'dedupWindow'] as const;

/** Parses `amqp(s)://user:pass@host:port/vhost?prefix=..&heartbeat=..` into options (explicit options win). */
export function amqpOptionsFromUrl(url: URL, explicit: Partial<AmqpTransportOptions> = {}): AmqpTransportOptions {
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Expected an amqp:// or amqps:// URL, got ${url.protocol}//` });
  }
  const q = url.searchParams;
  const out: AmqpTransportOptions = { url: url.toString() };
  const prefix = q.get('prefix');
  if (prefix !== null) out.prefix = prefix;
  for (const key of NUMERIC) {
    const raw = q.get(key);
    if (raw === null) continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `amqp:// option ${key} must be a non-negative number, got "${raw}"` });
    out[key] = n;
  }
  const queueType = q.get('queueType');
  if (queueType !== null) out.queueType = parseQueueType(queueType);
  const nodeOrder = q.get('nodeOrder');
  if (nodeOrder !== null) out.nodeOrder = parseNodeOrder(nodeOrder);
  const failFast = q.get('failFast');
  if (failFast !== null) out.failFast = flag('failFast', failFast);
  const batchWrites = q.get('batchWrites');
  if (batchWrites !== null) out.batchWrites = flag('batchWrites', batchWrites);
  const defaultExchange = q.get('defaultExchange');
  if (defaultExchange !== null) out.defaultExchange = flag('defaultExchange', defaultExchange);
  const delivery = q.get('delivery');
  if (delivery !== null) out.delivery = parseDelivery(delivery);
  return { ...out, ...explicit, url: explicit.url ?? out.url };
}

/** A boolean query parameter: true/1 or false/0 (anything else is a mistake, not a silent false). */
function flag(name: string, raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `amqp:// option ${name} must be true, false, 1 or 0, got "${raw}"` });
}

/** Query parameters that are Nanite's, not amqplib's. */
const OWN = new Set<string>(['prefix', 'failFast', 'delivery', 'batchWrites', 'defaultExchange', 'queueType', 'nodeOrder', NODES_PARAM, ...NUMERIC]);

/** Validates a queue type name. */
export function parseQueueType(value: string): AmqpQueueType {
  if (value === 'classic' || value === 'quorum') return value;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `queueType must be "classic" or "quorum", got "${value}"` });
}

/** Validates a node order name. */
export function parseNodeOrder(value: string): AmqpNodeOrder {
  if (value === 'shuffled' || value === 'ordered') return value;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `nodeOrder must be "shuffled" or "ordered", got "${value}"` });
}

/** Validates a delivery name. */
export function parseDelivery(value: string): AmqpDelivery {
  if (value === 'ack-after-handler' || value === 'at-most-once') return value;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `delivery must be "ack-after-handler" or "at-most-once", got "${value}"` });
}

/** The URL amqplib connects to (a single node's): Nanite's query options removed, heartbeat set. */
export function brokerUrl(url: string | URL, heartbeat: number): string {
  const u = typeof url === 'string' ? parseTransportUrl(url) : new URL(url.toString());
  for (const key of [...u.searchParams.keys()]) {
    if (OWN.has(key)) u.searchParams.delete(key);
  }
  u.searchParams.set('heartbeat', String(heartbeat));
  return u.toString();
}
