/**
 * The published transport contract suite (`@nanite/core/testing`) against memory://, imported by
 * its public name as a third-party transport author would.
 */
import { MemoryBusRegistry, MemoryTransport } from '@nanite/core';
import { describeTransportContract, type TransportCapabilities } from '@nanite/core/testing';

// memory:// hands every packet over at once (no broker-side queue): no prefetch, so no ttl to
// observe; it has no bytes, no park queues, and an agent link closing is told by the agent's own
// drain and UnRegister, not by the transport. Its disconnect()/reconnect() fault injection plays
// a lost connection.
const capabilities: TransportCapabilities = { prefetch: false, ttl: false, agentGone: false, park: false, reconnect: true, serializer: false };

for (const copy of ['reference', 'clone'] as const) {
  describeTransportContract({
    name: `memory:// with copy=${copy}`,
    cluster: () => {
      // A registry per case: its buses are seen by no other case.
      const registry = new MemoryBusRegistry();
      return {
        transport: () => new MemoryTransport({ name: 'contract', registry, copy }),
        interrupt: (t: MemoryTransport) => {
          t.disconnect();
          t.reconnect();
        },
      };
    },
    capabilities,
  });
}
