/** What agent and mapper links do when attaching to the broker (channel, topology, consumers) fails. */
import type { Channel } from 'amqplib';
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import { isAccessRefused } from './amqp.connection';

/** Delay before re-attaching after a transient failure (ms). */
export const REATTACH_DELAY = 200;
/** Delay before retrying after the broker refused part of the topology (permissions change rarely). */
export const REFUSED_RETRY_DELAY = 5_000;

/** How a link handles one failed attach. */
export interface AttachFailure {
  role: 'agent' | 'mapper';
  /** Log bindings naming the link (`{ agent }` / `{ mapper }`). */
  bindings: object;
  channel: Channel | undefined;
  logger: Logger;
  /** Rejects the link's first open() — set only while open() is still pending. */
  rejectFirst: ((err: NaniteError) => void) | undefined;
  retry(delay: number): void;
}

/**
 * A refused topology on the first attach fails open() with `NANITE_ERR_TRANSPORT_AUTH` (retrying
 * cannot help); anything else closes the half-made channel and retries, slowly when refused.
 * Returns true when it rejected open() (the caller forgets its first-open callbacks).
 */
export async function attachFailed(err: unknown, f: AttachFailure): Promise<boolean> {
  const refused = isAccessRefused(err);
  // A channel that failed half-way is useless; closing it fails too when the broker or its 403 already did.
  if (f.channel) await f.channel.close().catch(() => undefined);
  if (refused && f.rejectFirst) {
    f.rejectFirst(new NaniteError('NANITE_ERR_TRANSPORT_AUTH', { message: `The broker refused the ${f.role}'s topology (check the vhost permissions, docs/amqp.md): ${(err as Error).message}`, cause: err }));
    return true;
  }
  f.logger[refused ? 'error' : 'warn']({ ...f.bindings, err: (err as Error).message }, `could not attach the ${f.role} link; retrying`);
  f.retry(refused ? REFUSED_RETRY_DELAY : REATTACH_DELAY);
  return false;
}
