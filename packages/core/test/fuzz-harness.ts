/** Shared bits of the receive-path fuzz tests: escape watching, polling, and the honest caller's bookkeeping. */
import type { Mapper } from '../src';

/**
 * Records uncaught exceptions and unhandled rejections. Jest also fails the suite on them by itself
 * (its sandbox sees them first); these listeners catch whatever reaches the real process.
 */
export function watchEscapes(): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const record = (e: unknown): void => void seen.push(e);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return { seen, stop: () => { process.off('uncaughtException', record); process.off('unhandledRejection', record); } };
}

/** Polls `check` every 5 ms for up to `ms`; resolves whether it became true. */
export async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** The outcome of one honest request, never a rejection. */
export type Outcome = { ok: true; n: number; result: unknown } | { ok: false; n: number; error: unknown; at: number };

/** Honest payloads count from here, so an honest result is recognisable wherever it lands (forgeries use small numbers). */
export const HONEST_BASE = 1_000_000;
let seq = HONEST_BASE;

/** One honest request to `route` with a fresh `n`; its correct result is `{ n: 2n }`. */
export function ask(mapper: Mapper, route: string): Promise<Outcome> {
  const n = ++seq;
  return mapper.request(route, { n }).then(
    (result): Outcome => ({ ok: true, n, result }),
    (error: unknown): Outcome => ({ ok: false, n, error, at: Date.now() }),
  );
}
