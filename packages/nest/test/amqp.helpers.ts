/** Helpers of the amqp:// suites: unique prefixes, topology clean-up, a private broker node that may be stopped. */
import { actorRoutes, removeAmqpTopology } from '@nanite/core';
import { ChaosBroker } from '../../../test/support/chaos-broker';
import { unique } from './helpers';

/** The shared broker. */
export const AMQP_URL = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** `url` with a `?prefix=` of its own (plus other query options): one isolated Nanite topology per test. */
export function amqpUrl(base: string, prefix: string, query: Record<string, string | number> = {}): string {
  const u = new URL(base);
  u.searchParams.set('prefix', prefix);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** A fresh prefix and its clean-up. */
export class Prefixes {
  private readonly used: string[] = [];

  next(tag: string): string {
    const p = unique(`nest-${tag}`);
    this.used.push(p);
    return p;
  }

  /**
   * Deletes the (durable) exchanges of every prefix handed out, and the park queues of the routes
   * the given `@Actor()` classes serve (park queues outlive a run by design).
   */
  async removeAll(url: string, actors: ReadonlyArray<Function> = []): Promise<void> {
    const routes = actors.flatMap((C) => actorRoutes(Object.create(C.prototype as object) as object).map((r) => r.route));
    for (const prefix of this.used.splice(0)) await removeAmqpTopology(url, prefix, { routes });
  }
}

/** A private RabbitMQ node, never the shared broker, that a test may stop. */
export class PrivateBroker extends ChaosBroker {
  constructor() {
    super('nest-chaos', 6200);
  }
}
