/**
 * The published transport contract suite (`@nanite/core/testing`) in direct mode: every transport
 * is a DirectTransport over memory:// (the control plane) whose agents listen on an SP endpoint
 * and whose mappers send over SP. Link-level cases (no Register, so no endpoint known) check that
 * the fallback is the control plane unchanged; the fabric cases (real agents and mappers, which
 * do register) run requests, fan-out, progress, errors and timeouts over SP.
 */
import { DirectTransport, MemoryBusRegistry, MemoryTransport } from '@nanite/core';
import { describeTransportContract, type TransportCapabilities } from '@nanite/core/testing';

// As memory:// (its control plane): no prefetch or ttl, no bytes on the control plane, no park.
// But an agent's SP connection closing tells its mappers at once (agentLost: streams fail with
// NANITE_ERR_AGENT_LOST), for what went over SP; the link-level agentGone case sends over the
// control plane (no Register, no endpoint), where memory:// has no such signal.
const capabilities: TransportCapabilities = { prefetch: false, ttl: false, agentGone: false, agentLost: true, park: false, reconnect: true, serializer: false };

describeTransportContract({
  name: 'direct SP over memory://',
  cluster: () => {
    const registry = new MemoryBusRegistry();
    return {
      transport: () => new DirectTransport(new MemoryTransport({ name: 'contract', registry }), { listen: 'tcp://127.0.0.1:0', direct: true, ownsInner: true }),
      interrupt: (t: DirectTransport) => {
        const inner = t.inner as MemoryTransport;
        inner.disconnect();
        inner.reconnect();
      },
    };
  },
  capabilities,
});
