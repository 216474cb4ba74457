/**
 * The transport contract suite: what the agent and the mapper rely on from any {@link Transport}.
 */
import type { Transport } from '../transport/transport';
import { agentGoneCases, parkCases, prefetchCases } from './cases/flow.cases';
import { deliveryCases } from './cases/delivery.cases';
import { fabricCases } from './cases/fabric.cases';
import { lifecycleCases, reconnectCases } from './cases/lifecycle.cases';
import { malformedCases } from './cases/malformed.cases';
import { streamCases } from './cases/stream.cases';
import { undeliverableCases } from './cases/undeliverable.cases';
import { ContractHarness } from './contract.harness';
import { resolveContractOptions, type TransportCapabilities, type TransportContractOptions } from './contract.options';

/**
 * Defines the transport contract suite for one transport, in the calling test file.
 *
 * Like `abstract-level`'s suite, it is a function you call from your own test file with a factory
 * and your runner's functions; it asserts with `node:assert`, so it runs unchanged under Jest,
 * Vitest, Mocha and `node:test`, and it imports no test framework. Capabilities the transport
 * declares `false` define no cases (the suite's title names them).
 *
 * @example Jest (globals), an in-process transport:
 * ```ts
 * import { describeTransportContract } from '@nanite/core/testing';
 * import { MyTransport, MyBroker } from '../src';
 *
 * describeTransportContract({
 *   name: 'my://',
 *   cluster: () => {
 *     const broker = new MyBroker(); // transports of one cluster reach each other, and nothing else
 *     return { transport: () => new MyTransport({ broker }), close: () => broker.close() };
 *   },
 *   capabilities: { prefetch: false, ttl: false, agentGone: false, park: false, reconnect: false, serializer: false },
 * });
 * ```
 *
 * @example Vitest without globals, or `node:test`:
 * ```ts
 * import { describe, it, beforeEach, afterEach } from 'vitest'; // or 'node:test'
 * describeTransportContract({ name: 'my://', cluster, capabilities, test: { describe, it, beforeEach, afterEach } });
 * ```
 */
export function describeTransportContract<T extends Transport>(options: TransportContractOptions<T>): void {
  const o = resolveContractOptions(options);
  const caps = o.capabilities;
  const { describe, beforeEach, afterEach } = o.test;
  const it = (name: string, fn: () => Promise<void>): void => {
    if (o.timeout === undefined) o.test.it(name, fn);
    else o.test.it(name, fn, o.timeout);
  };
  const h = new ContractHarness(o);
  const without = (Object.keys(caps) as Array<keyof TransportCapabilities>).filter((k) => !caps[k]);

  describe(`transport contract: ${o.name}${without.length > 0 ? ` (without: ${without.join(', ')})` : ''}`, () => {
    beforeEach(() => h.begin());
    afterEach(() => h.end());

    describe('delivery', () => deliveryCases(h, it));
    describe('undeliverable returns', () => undeliverableCases(h, it));
    describe('close', () => lifecycleCases(h, it));
    if (caps.prefetch) describe('settle and prefetch', () => prefetchCases(h, it));
    if (caps.agentGone) describe('agent gone', () => agentGoneCases(h, it));
    if (caps.park) describe('park', () => parkCases(h, it));
    if (caps.reconnect) describe('reconnect', () => reconnectCases(h, it));
    if (caps.serializer) describe('malformed bytes', () => malformedCases(h, it));
    describe('agents and mappers over it', () => fabricCases(h, it));
    describe('streams', () => streamCases(h, it, caps.agentLost ?? caps.agentGone));
  });
}
