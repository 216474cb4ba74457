/**
 * A private three-node RabbitMQ cluster (scripts/amqp-cluster.sh) that a test may stop, kill and
 * start node by node — never the shared broker on 5672. Shared by the cross-package tests and the
 * benchmarks' TypeScript callers.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'amqp-cluster.sh');
const run = promisify(execFile);

/** Node numbers of the cluster. */
export type ClusterNode = 1 | 2 | 3;

/** Three RabbitMQ nodes `<tag>-1..3@localhost` on three consecutive ports. */
export class BrokerCluster {
  readonly tag: string;
  readonly basePort: number;

  /** `tag` names the nodes; `basePort` spaces suites apart (the pid picks ports above it). */
  constructor(tag: string, basePort: number) {
    this.tag = `${tag}-${process.pid}`;
    this.basePort = basePort + (process.pid % 300) * 3;
  }

  /** AMQP port of node `i`. */
  port(i: ClusterNode): number {
    return this.basePort + i - 1;
  }

  /** `host:port` of node `i`, as `transport.node` reports it. */
  node(i: ClusterNode): string {
    return `127.0.0.1:${this.port(i)}`;
  }

  /** `amqp://guest:guest@n_a,n_b,n_c/?nodeOrder=ordered&...`: the nodes in `order`, tried in that order. */
  url(order: readonly ClusterNode[], query: Record<string, string | number> = {}): string {
    const q = new URLSearchParams({ nodeOrder: 'ordered', ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) });
    return `amqp://guest:guest@${order.map((i) => this.node(i)).join(',')}/?${q.toString()}`;
  }

  /** Starts (or keeps) the three nodes, joined; resolves once all accept AMQP. */
  start(): Promise<unknown> {
    return this.run('start', String(this.basePort));
  }

  /** Node `i`'s broker gone (`rabbitmqctl stop_app`). */
  stopApp(i: ClusterNode): Promise<unknown> {
    return this.run('stop_app', String(i));
  }

  /** Node `i`'s broker back; resolves once it accepts AMQP. */
  startApp(i: ClusterNode): Promise<unknown> {
    return this.run('start_app', String(i));
  }

  /** SIGKILL of node `i`'s Erlang VM. */
  kill(i: ClusterNode): Promise<unknown> {
    return this.run('kill', String(i));
  }

  /** Starts a killed node `i` again (it rejoins). */
  restart(i: ClusterNode): Promise<unknown> {
    return this.run('restart', String(i));
  }

  /** Ends every node and removes their files. */
  stop(): Promise<unknown> {
    return this.run('stop');
  }

  private run(cmd: string, ...args: string[]): Promise<unknown> {
    return run(SCRIPT, [cmd, this.tag, ...args], { timeout: 120_000 });
  }
}
