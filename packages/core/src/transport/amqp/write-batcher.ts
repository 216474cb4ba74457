/**
 * Batches the socket writes of one event-loop turn into one.
 *
 * amqplib writes every frame set (a publish, an ack) to the socket separately, and with no-delay
 * on each is its own syscall and TCP segment: at 10k+ messages/s that is most of a Node process's
 * CPU and a good share of the broker's (it reads and parses segment by segment). Corking the
 * socket while amqplib's muxer flushes its channel buffers (in a setImmediate, scheduled from a
 * nextTick) and uncorking right after sends one writev per turn instead, without adding a timer.
 *
 * The socket is amqplib's `connection.stream`, not part of its typed API: when it is missing or
 * has no cork(), batching is silently off and everything works as before.
 */
import type { ChannelModel } from 'amqplib';

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Returns `batch()`: call it right after every publish or ack to have this turn's writes coalesced. */
export function writeBatcher(model: ChannelModel, enabled: boolean): () => void {
  const stream = (model.connection as unknown as { stream?: Partial<Corkable> }).stream;
  if (!enabled || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return noop;
  const socket = stream as Corkable;
  let calls = 0;
  let corked = false;
  const endOfTurn = (): void => {
    calls = 0;
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  // The muxer's setImmediate is scheduled from the nextTick that the first publish queued; ours
  // is scheduled from a later nextTick, so it runs after the muxer has written.
  const later = (): void => void setImmediate(endOfTurn);
  return () => {
    // A lone write goes out as is (no latency added at low load); from the second write of a turn
    // on, the socket is corked until the muxer has flushed them all.
    if (++calls === 1) {
      process.nextTick(later);
      return;
    }
    if (!corked) {
      corked = true;
      socket.cork();
    }
  };
}

function noop(): void {}
