/**
 * Listeners and dialers: where a socket's pipes come from. A listener accepts many connections;
 * a dialer keeps one connection up, reconnecting with backoff (nanomsg's reconnect interval).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { lstat, unlink } from 'node:fs/promises';
import { NaniteError } from '../../errors';
import type { SpPipe } from './sp-pipe';
import { formatSpUrl, type SpAddress } from './sp-url';

/** A listener or dialer of a socket. */
export interface SpEndpoint {
  readonly kind: 'listener' | 'dialer';
  /** For a listener, the bound address (the real port when 0 was asked); for a dialer, the dialed URL. */
  readonly url: string;
  /** Stops accepting or reconnecting and closes the endpoint's connections. Idempotent. */
  close(): Promise<void>;
}

/** What endpoints need from their socket. */
export interface SpEndpointHost {
  /** Turns a connected stream into a pipe, or returns undefined (and destroys it) when the socket refuses more. */
  adopt(conn: Socket, address: SpAddress, remote: string | undefined, owner: SpPipeOwner): SpPipe | undefined;
  readonly handshakeTimeout: number;
  readonly reconnectMin: number;
  readonly reconnectMax: number;
}

/** Told when a pipe it created ends. */
export interface SpPipeOwner {
  pipeClosed(pipe: SpPipe, wasReady: boolean): void;
}

/** Accepts connections on a tcp:// or ipc:// address. */
export class SpListener implements SpEndpoint, SpPipeOwner {
  readonly kind = 'listener';
  private readonly pipes = new Set<SpPipe>();
  private closing: Promise<void> | undefined;

  private boundUrl: string;

  private constructor(
    private readonly server: Server,
    address: SpAddress,
  ) {
    this.boundUrl = formatSpUrl(address);
  }

  get url(): string {
    return this.boundUrl;
  }

  /** Binds `address`; rejects with `NANITE_ERR_TRANSPORT` when it cannot (address in use, no permission). */
  static async open(address: SpAddress, host: SpEndpointHost): Promise<SpListener> {
    const server = createServer({ noDelay: true });
    const listener = new SpListener(server, address);
    server.on('connection', (conn: Socket) => listener.accept(conn, address, host));
    listener.boundUrl = await listenServer(server, address);
    return listener;
  }

  pipeClosed(pipe: SpPipe): void {
    this.pipes.delete(pipe);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const p of this.pipes) p.close();
    });
    return this.closing;
  }

  private accept(conn: Socket, address: SpAddress, host: SpEndpointHost): void {
    if (this.closing) {
      conn.destroy();
      return;
    }
    const pipe = host.adopt(conn, address, address.kind === 'ipc' ? address.path : undefined, this);
    if (pipe) this.pipes.add(pipe);
  }
}

/** Binds `server` to `address`; a stale ipc socket file nobody answers on is removed first. */
/**
 * Binds `server` to `address` for a listener: rejects with `NANITE_ERR_TRANSPORT` when it cannot
 * (address in use, no permission), keeps later server errors from crashing the process, and
 * returns the bound URL (the real port when 0 was asked).
 */
export async function listenServer(server: Server, address: SpAddress): Promise<string> {
  const asked = formatSpUrl(address);
  try {
    await bindServer(server, address);
  } catch (cause) {
    server.close();
    throw new NaniteError('NANITE_ERR_TRANSPORT', { message: `Cannot listen on ${asked}: ${(cause as Error).message}`, cause, data: { url: asked } });
  }
  // Errors after bind (e.g. EMFILE on accept) must not crash the process; accepting continues.
  server.on('error', () => undefined);
  const bound = server.address();
  return address.kind === 'tcp' && bound && typeof bound === 'object' ? formatSpUrl({ kind: 'tcp', host: address.host, port: bound.port }) : asked;
}

export async function bindServer(server: Server, address: SpAddress): Promise<void> {
  const once = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (address.kind === 'ipc') server.listen(address.path, done);
      else if (address.host === '') server.listen(address.port, done);
      else server.listen(address.port, address.host, done);
    });
  try {
    await once();
  } catch (e) {
    // A socket file left by a crashed process: remove it when nobody answers on it (as NNG does).
    // Anything that is not a socket file is left alone.
    if (address.kind !== 'ipc' || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const stat = await lstat(address.path).catch(() => undefined);
    if (!stat?.isSocket() || (await answers(address.path))) throw e;
    await unlink(address.path);
    await once();
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Keeps one connection to an address up, reconnecting with exponential backoff and jitter. */
export class SpDialer implements SpEndpoint, SpPipeOwner {
  readonly kind = 'dialer';
  readonly url: string;
  private pipe: SpPipe | undefined;
  private connecting: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private closed = false;

  constructor(
    private readonly address: SpAddress,
    private readonly host: SpEndpointHost,
  ) {
    this.url = formatSpUrl(address);
  }

  /** Starts the first attempt at once. */
  start(): void {
    this.connect();
  }

  pipeClosed(pipe: SpPipe, wasReady: boolean): void {
    if (this.pipe === pipe) this.pipe = undefined;
    if (wasReady) this.attempts = 0;
    this.schedule();
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.connecting?.destroy();
    this.connecting = undefined;
    this.pipe?.close();
    return Promise.resolve();
  }

  private connect(): void {
    this.timer = undefined;
    if (this.closed) return;
    const a = this.address;
    const conn = a.kind === 'ipc' ? connect(a.path) : connect({ host: a.host === '' ? '127.0.0.1' : a.host, port: a.port, noDelay: true });
    this.connecting = conn;
    const limit = setTimeout(() => conn.destroy(), this.host.handshakeTimeout);
    limit.unref();
    const failed = (): void => {
      clearTimeout(limit);
      if (this.connecting !== conn) return;
      this.connecting = undefined;
      this.schedule();
    };
    conn.once('error', failed);
    conn.once('close', failed);
    conn.once('connect', () => {
      clearTimeout(limit);
      conn.off('error', failed);
      conn.off('close', failed);
      this.connecting = undefined;
      if (this.closed) {
        conn.destroy();
        return;
      }
      this.pipe = this.host.adopt(conn, a, a.kind === 'ipc' ? a.path : undefined, this);
      if (!this.pipe) this.schedule();
    });
  }

  private schedule(): void {
    if (this.closed || this.timer || this.connecting || this.pipe) return;
    const base = Math.min(this.host.reconnectMax, this.host.reconnectMin * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.timer = setTimeout(() => this.connect(), delay);
    this.timer.unref();
  }
}
