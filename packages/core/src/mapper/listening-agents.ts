/** The agents of a registry that advertise an SP endpoint (Register `endpoint`, agents started with `listen`). */
import type { AgentRecord, Registry } from './registry';

/** Live agents with an advertised SP endpoint. Reads the record's optional `endpoint` (absent in builds without direct dispatch). */
export function* listeningAgents(registry: Registry): Iterable<{ identity: string; endpoint: string }> {
  for (const record of registry.all()) {
    const endpoint = (record as AgentRecord & { endpoint?: unknown }).endpoint;
    if (typeof endpoint === 'string' && endpoint.length > 0 && !record.suspended) yield { identity: record.identity, endpoint };
  }
}
