/**
 * Message properties Nanite sets on AMQP messages, and cheap peeks at decoded packets.
 *
 * The transport does not validate packets (the agent and mapper do); it only looks at the few
 * fields it routes by, defensively, since what came off the wire is `unknown`.
 *
 * Properties of a request message: `correlationId` = the sending mapper link's session,
 * `replyTo` = the mapper's direct reply-to address, `type` = `at-most-once` when the request must
 * never run twice (acknowledged, like every delivery, when its handler settles), header `x-nanite-resent` on a re-send after a reconnect. A request a
 * draining agent hands back carries header `x-nanite-bounced` = the agent identity. Replies carry
 * `correlationId` = the mapper identity they are for.
 */
import type { AmqpDelivery } from './amqp.options';

/** Header of a request handed back by a draining agent: the agent's identity. */
export const HEADER_BOUNCED = 'x-nanite-bounced';
/** Header of a request re-sent after a reconnect. */
export const HEADER_RESENT = 'x-nanite-resent';
/**
 * Header of an agent's heartbeats: an id of its queue's current incarnation, new on every attach.
 * A mapper that sees it change knows the queue may have been re-created (the agent moved to another
 * cluster node): requests it sent there before may be lost, so it re-sends them (marked re-sent).
 */
export const HEADER_QUEUE = 'x-nanite-queue';
/**
 * Header of an agent's heartbeats while it takes work: the name of its request queue. A mapper
 * whose connection may write to the default exchange (`amq.default`) publishes the agent's requests
 * and pushes there, routed by that name, when it is the agent's own `P.agent.<identity>` (see
 * queue-incarnations.ts): the broker then skips the named exchange's route lookup. Absent (an agent
 * of an earlier release, one draining, one under a fresh queue name), they go through `P.agent`.
 */
export const HEADER_QUEUE_NAME = 'x-nanite-queue-name';
/** Header of a push: its sender's tag (see shared/push-tagger.ts), checked when the push comes back bounced. */
export const HEADER_TAG = 'x-nanite-tag';
/** Message `type` of a mapper's liveness probe (see agent-prober.ts). */
export const PROBE_TYPE = 'nanite.probe';
/** Routing-key prefix of the probe binding every agent queue keeps. */
export const PROBE_PREFIX = 'probe.';

/** The routing key of an agent's probe binding. */
export function probeKey(identity: string): string {
  return PROBE_PREFIX + identity;
}

/**
 * Header of an agent's heartbeats: present when the agent consumes a control queue
 * (`P.agent.<identity>.control`, bound with {@link controlKey}) for what follows its running requests.
 */
export const HEADER_CONTROL = 'x-nanite-control';
/** Routing-key prefix of an agent's control-queue binding. */
export const CONTROL_PREFIX = 'control.';

/** The routing key of an agent's control-queue binding. */
export function controlKey(identity: string): string {
  return CONTROL_PREFIX + identity;
}

/**
 * The routing key of what follows a request already delivered to `identity` (upload chunks and
 * their end, a reader's credit, cancels). To an agent whose heartbeats say it has a control queue:
 * that queue's key. It is consumed apart from the requests, outside their prefetch window: a cancel
 * reaches an agent whose every slot is held by running requests (the one it names among them), and
 * it is consumed until the agent closes, draining included. To any other agent (an earlier release):
 * the probe binding's key, which its request queue keeps for as long as it exists (so it still
 * reaches the agent while it drains, but waits behind the prefetch window like a request).
 */
export function followKey(identity: string, control: boolean): string {
  return control ? controlKey(identity) : probeKey(identity);
}

/** Message `type` of a request that must never run twice (a redelivery is answered from the reply cache, or dropped if a push). */
export const TYPE_AT_MOST_ONCE: AmqpDelivery = 'at-most-once';

/** The addressing fields of a request or push. */
export interface RequestPeek {
  type: 'request' | 'push';
  id: number;
  route: string;
  replyTo: string;
}

/** Addressing fields of a request/push, or undefined for anything else. */
export function peekRequest(p: unknown): RequestPeek | undefined {
  if (typeof p !== 'object' || p === null) return undefined;
  const r = p as Record<string, unknown>;
  if ((r.type !== 'request' && r.type !== 'push') || typeof r.id !== 'number' || typeof r.route !== 'string' || typeof r.replyTo !== 'string') return undefined;
  // The packet itself, seen through the fields just checked (read-only): no object per message.
  return r as unknown as RequestPeek;
}

/**
 * The AMQP `expiration` of a message that is useless after `expiresAt` (epoch ms; 0: never):
 * undefined for no expiry, `null` when it is already useless (do not publish it).
 */
export function expirationFor(expiresAt: number, now: number): string | undefined | null {
  if (expiresAt <= 0) return undefined;
  const left = Math.ceil(expiresAt - now);
  return left > 0 ? String(left) : null;
}

/** The epoch ms after which a message sent now with `ttl` is useless (0: never). */
export function expiresAtFor(ttl: number | undefined, now: number): number {
  return ttl !== undefined && ttl > 0 && Number.isFinite(ttl) ? now + ttl : 0;
}
