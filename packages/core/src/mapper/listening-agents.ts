/** The agents of a registry that advertise an SP endpoint (Register `endpoint`: agents started with `listen`). */
import type { Registry } from './registry';

/** Live, dispatchable agents with an advertised SP endpoint that serve `route` and carry every tag in `tags`. */
export function* listeningAgents(registry: Registry, route: string, tags: readonly string[]): Iterable<{ identity: string; endpoint: string }> {
  for (const record of registry.serving(route)) {
    if (record.endpoint !== undefined && record.endpoint.length > 0 && tags.every((t) => record.tags.includes(t))) yield { identity: record.identity, endpoint: record.endpoint };
  }
}
