/**
 * Reconnects and outage time of the transports observed agents and mappers use, by transport URL
 * (credentials removed). Subscribes once per transport object, unsubscribes with its last user.
 */
import type { Transport } from '../transport/transport';

/** What is known of one transport object. */
interface Watched {
  url: string;
  users: number;
  reconnects: number;
  outageMs: number;
  /** Epoch ms of the loss, while disconnected. */
  downSince: number | undefined;
  unsubscribe: (() => void) | undefined;
  stats: (() => object) | undefined;
}

/** One transport URL's numbers at scrape time. */
export interface TransportSample {
  url: string;
  connected: boolean;
  reconnects: number;
  outageSeconds: number;
  /** Numeric fields of the transport's own `stats()` (amqp://: reply cache, redeliveries...). */
  stats: Record<string, number>;
}

/** Counts (re)connections of the transports it watches. */
export class TransportWatch {
  private readonly watched = new Map<Transport, Watched>();

  /** Starts watching (again) `transport`; returns the function that stops this user's watch. */
  watch(transport: Transport): () => void {
    let w = this.watched.get(transport);
    if (!w) {
      const stats = (transport as { stats?: unknown }).stats;
      w = { url: transport.url, users: 0, reconnects: 0, outageMs: 0, downSince: undefined, unsubscribe: undefined, stats: typeof stats === 'function' ? () => stats.call(transport) as object : undefined };
      const entry = w;
      entry.unsubscribe = transport.onConnectionChange?.((connected) => {
        if (!connected) entry.downSince ??= Date.now();
        else if (entry.downSince !== undefined) {
          entry.outageMs += Date.now() - entry.downSince;
          entry.downSince = undefined;
          entry.reconnects++;
        }
      });
      this.watched.set(transport, w);
    }
    w.users++;
    let done = false;
    const entry = w;
    return () => {
      if (done) return;
      done = true;
      if (--entry.users > 0) return;
      entry.unsubscribe?.();
      this.watched.delete(transport);
    };
  }

  /** One sample per URL (transports sharing a URL are summed). */
  samples(now = Date.now()): TransportSample[] {
    const byUrl = new Map<string, TransportSample>();
    for (const [transport, w] of this.watched) {
      let s = byUrl.get(w.url);
      if (!s) byUrl.set(w.url, (s = { url: w.url, connected: true, reconnects: 0, outageSeconds: 0, stats: {} }));
      s.connected &&= transport.isConnected !== false;
      s.reconnects += w.reconnects;
      s.outageSeconds += (w.outageMs + (w.downSince !== undefined ? now - w.downSince : 0)) / 1000;
      for (const [k, v] of Object.entries(w.stats?.() ?? {})) {
        if (typeof v === 'number' && Number.isFinite(v)) s.stats[k] = (s.stats[k] ?? 0) + v;
      }
    }
    return [...byUrl.values()];
  }
}
