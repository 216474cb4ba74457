/**
 * The per-case state of the contract suite: the case's cluster and the transports it opened,
 * all closed after the case whatever its outcome.
 */
import type { RequestPacket } from '../protocol/packets';
import type { Transport } from '../transport/transport';
import type { ContractCluster, ContractTransportOptions, ResolvedContractOptions } from './contract.options';

/** Routes the suite's cases use: delete their park queues (amqp://) or other per-route state when cleaning up. */
export const CONTRACT_ROUTES: readonly string[] = [
  '/contract/echo',
  '/contract/steps',
  '/contract/fail',
  '/contract/wait',
  '/contract/parked',
  '/contract_stream/bytes',
  '/contract_stream/values',
  '/contract_stream/echo',
  '/contract_stream/failing',
  '/contract_stream/forever',
];

/** The mapper identity requests are addressed from unless a case says otherwise. */
export const MAPPER = 'contract-m1';

/** A request (or push) packet as a mapper would send it. */
export function request(id: number, options: { route?: string; payload?: unknown; replyTo?: string; type?: 'request' | 'push' } = {}): RequestPacket {
  return {
    v: 1,
    type: options.type ?? 'request',
    id,
    route: options.route ?? '/contract/echo',
    payload: 'payload' in options ? options.payload : { n: id },
    replyTo: options.replyTo ?? MAPPER,
    timeout: 0,
    hops: 0,
  };
}

/** Ids of the requests in a list of packets. */
export function ids(packets: readonly unknown[]): number[] {
  return packets.map((p) => (p as RequestPacket).id);
}

/** Owns a case's cluster and transports. */
export class ContractHarness<T extends Transport> {
  private current: ContractCluster<T> | undefined;
  private readonly open: T[] = [];

  constructor(readonly o: ResolvedContractOptions<T>) {}

  /** Called before each case. */
  begin(): void {
    this.current = this.o.cluster();
  }

  /** A connected transport of the case's cluster, closed after the case. */
  async transport(options?: ContractTransportOptions): Promise<T> {
    const t = await this.cluster.transport(options);
    this.open.push(t);
    await t.connect();
    return t;
  }

  /** Interrupts `transport`'s connection through the cluster's hook. */
  async interrupt(transport: T): Promise<void> {
    const hook = this.cluster.interrupt;
    if (!hook) throw new Error('transport contract: capabilities.reconnect is true but the cluster has no interrupt(transport) hook');
    await hook.call(this.cluster, transport);
  }

  /** Called after each case: closes every transport, then the cluster. */
  async end(): Promise<void> {
    const cluster = this.current;
    this.current = undefined;
    for (const t of this.open.splice(0)) await t.close();
    await cluster?.close?.();
  }

  private get cluster(): ContractCluster<T> {
    if (!this.current) throw new Error('transport contract: no cluster (used outside a case?)');
    return this.current;
  }
}
