/**
 * One listening address for several SP sockets: each accepted connection's 8-byte header is read
 * first, and the connection is handed to the socket whose peer protocol it names (a REQ peer to
 * the REP socket, a SURVEYOR peer to the RESPONDENT socket, ...). Header bytes are put back, so
 * the socket then performs the normal header exchange on it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { NaniteError } from '../../errors';
import { defaultLogger } from '../../internal/logger';
import { listenServer, type SpEndpoint, type SpPipeOwner } from './sp-endpoint';
import { SpFaultCounter, type SpFaultCounts } from './sp-faults';
import { SP_HEADER_LENGTH, SP_PEER, SP_PROTOCOL } from './sp-handshake';
import { checkInteger, stripUndefined, type SpSocketOptions } from './sp-options';
import type { SpSocket } from './sp-socket';
import { formatSpUrl, parseSpUrl, type SpAddress } from './sp-url';
import { MAX_TIMER_DELAY } from '../../internal/timers';

/** Options of {@link SpMultiListener}. */
export interface SpMultiListenerOptions extends Pick<SpSocketOptions, 'logger' | 'name'> {
  /** Time a connection has to send its 8-byte header (ms). Default 10 000. */
  handshakeTimeout?: number;
  /** Connections still sending their header, at most; more are closed and counted (`pipe-limit`). Default 1 024. */
  maxPending?: number;
}

/** Counters of a {@link SpMultiListener}. */
export interface SpMultiListenerStats {
  /** Connections handed to a socket, by that socket's protocol. */
  accepted: Record<string, number>;
  /** Refused connections by reason (`bad-header`, `wrong-protocol`, `handshake-timeout`, `pipe-limit`). */
  faults: SpFaultCounts;
}

const NO_OWNER: SpPipeOwner = { pipeClosed: () => undefined };

/** Listens on one tcp:// or ipc:// address on behalf of several sockets of different protocols. */
export class SpMultiListener implements SpEndpoint {
  readonly kind = 'listener';
  private readonly pending = new Set<Socket>();
  private readonly byPeer = new Map<number, SpSocket>();
  private readonly accepted: Record<string, number> = {};
  private readonly faults: SpFaultCounter;
  private readonly handshakeTimeout: number;
  private readonly maxPending: number;
  private boundUrl: string;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly address: SpAddress,
    sockets: readonly SpSocket[],
    options: SpMultiListenerOptions,
  ) {
    const o = { handshakeTimeout: 10_000, maxPending: 1_024, ...stripUndefined(options) };
    this.handshakeTimeout = checkInteger('handshakeTimeout', o.handshakeTimeout, 1, MAX_TIMER_DELAY);
    this.maxPending = checkInteger('maxPending', o.maxPending, 1, 1_000_000);
    this.faults = new SpFaultCounter(options.logger ?? defaultLogger('nanite-sp'), { sp: 'multi', ...(options.name ? { name: options.name } : {}) });
    for (const s of sockets) {
      const peer = SP_PROTOCOL[SP_PEER[s.protocol]];
      if (this.byPeer.has(peer)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Two SP sockets accept ${SP_PEER[s.protocol]} peers` });
      this.byPeer.set(peer, s);
    }
    this.boundUrl = formatSpUrl(address);
  }

  /**
   * Binds `url` for `sockets` (at most one per peer protocol). Rejects with
   * `NANITE_ERR_INVALID_ARGUMENT` on a bad URL, `NANITE_ERR_TRANSPORT` when it cannot bind.
   */
  static async open(url: string, sockets: readonly SpSocket[], options: SpMultiListenerOptions = {}): Promise<SpMultiListener> {
    const address = parseSpUrl(url);
    const server = createServer({ noDelay: true, pauseOnConnect: true });
    const listener = new SpMultiListener(server, address, sockets, options);
    server.on('connection', (conn: Socket) => listener.accept(conn));
    listener.boundUrl = await listenServer(server, address);
    return listener;
  }

  /** The bound address (the real port when 0 was asked). */
  get url(): string {
    return this.boundUrl;
  }

  /** Counters (a snapshot). */
  stats(): SpMultiListenerStats {
    return { accepted: { ...this.accepted }, faults: this.faults.snapshot() };
  }

  /** Stops accepting and closes connections that have not sent their header yet; handed-over pipes belong to their sockets. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const c of this.pending) c.destroy();
    });
    return this.closing;
  }

  private accept(conn: Socket): void {
    if (this.closing) {
      conn.destroy();
      return;
    }
    if (this.pending.size >= this.maxPending) {
      this.faults.record('pipe-limit', { remote: conn.remoteAddress });
      conn.destroy();
      return;
    }
    this.pending.add(conn);
    let have: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => refuse('handshake-timeout'), this.handshakeTimeout);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      this.pending.delete(conn);
      conn.off('data', onData);
      conn.off('close', onClose);
    };
    const refuse = (fault: 'bad-header' | 'wrong-protocol' | 'handshake-timeout'): void => {
      done();
      this.faults.record(fault, { remote: conn.remoteAddress ?? this.boundUrl });
      conn.destroy();
    };
    const onClose = (): void => done();
    const onData = (chunk: Buffer): void => {
      have = have.length === 0 ? chunk : Buffer.concat([have, chunk]);
      if (have.length < SP_HEADER_LENGTH) return;
      if (have[0] !== 0 || have[1] !== 0x53 || have[2] !== 0x50 || have[3] !== 0 || have[6] !== 0 || have[7] !== 0) return refuse('bad-header');
      const socket = this.byPeer.get(have.readUInt16BE(4));
      if (!socket) return refuse('wrong-protocol');
      done();
      conn.pause();
      conn.unshift(have);
      if (socket.takeOver(conn, this.address, NO_OWNER)) {
        this.accepted[socket.protocol] = (this.accepted[socket.protocol] ?? 0) + 1;
      }
    };
    conn.on('error', () => undefined);
    conn.on('close', onClose);
    conn.on('data', onData);
    conn.resume();
  }
}
