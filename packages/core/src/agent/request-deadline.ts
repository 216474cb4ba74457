/**
 * When a received request stops being worth running.
 *
 * `timeout` is what the caller had left when it sent the request. Time the request then spent
 * queued at the broker counts against it, measured with the sender's `sentAt` — but only when
 * `0 <= now - sentAt <= timeout`. A negative gap is clock skew; a gap past the timeout is clock
 * skew too, because the broker's per-message expiration (set from the same deadline) already drops
 * whatever waited that long. The assumption is that agents' and mappers' clocks differ by less than
 * typical timeouts (NTP-synchronised hosts); a skewed clock can only cost the queued time, never
 * drop a live request: it falls back to "the full timeout from receipt".
 */
import type { RequestPacket } from '../protocol/packets';

/** The request's deadline (epoch ms) as seen from `receivedAt`; `Infinity` without a timeout. */
export function requestDeadline(packet: Pick<RequestPacket, 'timeout' | 'sentAt'>, receivedAt: number): number {
  const { timeout, sentAt } = packet;
  if (!(timeout > 0)) return Infinity;
  if (sentAt !== undefined) {
    const queued = receivedAt - sentAt;
    if (queued >= 0 && queued <= timeout) return sentAt + timeout;
  }
  return receivedAt + timeout;
}
