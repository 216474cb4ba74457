/**
 * A TCP proxy in front of the shared broker whose connections a test can cut: a dropped socket,
 * seen by the client exactly as a network failure, without restarting a broker others use.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    /** The local port clients connect to. */
    readonly port: number,
  ) {}

  /** Listens on an ephemeral loopback port and forwards every connection to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const server = createServer();
    // The proxy stands in for the network: it must not keep the process alive, nor count as a
    // resource of the transport under test.
    server.unref();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
    const proxy = new TcpProxy(server, address.port);
    server.on('connection', (client) => proxy.forward(client, host, port));
    return proxy;
  }

  /** Destroys every open connection (both sides); new connections are still accepted. */
  cut(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, host: string, port: number): void {
    client.unref();
    const upstream = createConnection({ host, port });
    upstream.unref();
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // A reset on either side ends the pair; the error itself is the test's point, not a failure.
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
