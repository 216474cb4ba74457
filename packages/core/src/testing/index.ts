/**
 * @nanite/core/testing: the transport contract suite, for anyone writing a `Transport`.
 * Imports no test framework; see {@link describeTransportContract}.
 */
export { describeTransportContract } from './transport-contract';
export type { ContractCluster, ContractTestApi, ContractTransportOptions, TransportCapabilities, TransportContractOptions } from './contract.options';
export { CONTRACT_ROUTES } from './contract.harness';
export { CONTRACT_PAYLOADS } from './cases/delivery.cases';
