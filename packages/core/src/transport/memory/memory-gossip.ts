/** Gossip on memory://: one map of endpoints per bus, delivered on microtasks like everything else there. */
import type { GossipLink, GossipSink } from '../gossip';

/** The gossip endpoints of one bus. */
export class MemoryGossipHub {
  private readonly sinks = new Map<string, GossipSink>();

  constructor(private readonly copy: <T>(value: T) => T) {}

  get empty(): boolean {
    return this.sinks.size === 0;
  }

  /** Opens an endpoint; `reachable()` false drops what it sends and receives (fault injection). */
  open(id: string, sink: GossipSink, reachable: () => boolean, onClose: () => void): GossipLink {
    const guarded: GossipSink = { onMessage: (m) => reachable() && sink.onMessage(m) };
    this.sinks.set(id, guarded);
    return {
      broadcast: (message) => {
        if (!reachable()) return;
        for (const [peer, s] of this.sinks) {
          if (peer === id) continue;
          const m = this.copy(message);
          queueMicrotask(() => s.onMessage(m));
        }
      },
      send: (to, message) => {
        const s = this.sinks.get(to);
        if (!s || !reachable()) return;
        const m = this.copy(message);
        queueMicrotask(() => s.onMessage(m));
      },
      close: async () => {
        if (this.sinks.get(id) === guarded) this.sinks.delete(id);
        onClose();
      },
    };
  }
}
