/**
 * What every SP socket shares: its listeners and dialers, its pipes (connections that completed
 * the SP header exchange), fault counters, and close(). The protocol (REQ, REP, SURVEYOR,
 * RESPONDENT) lives in subclasses, which see ready pipes come and go and messages arrive.
 */
import type { Socket } from 'node:net';
import { NaniteError } from '../../errors';
import { defaultLogger, type Logger } from '../../internal/logger';
import { MAX_TIMER_DELAY } from '../../internal/timers';
import { SpDialer, SpListener, type SpEndpoint, type SpEndpointHost, type SpPipeOwner } from './sp-endpoint';
import { SpFaultCounter, type SpFault, type SpFaultCounts } from './sp-faults';
import type { SpProtocolName } from './sp-handshake';
import { resolveSpOptions, type ResolvedSpOptions, type SpSocketOptions } from './sp-options';
import { SpPipe, type SpPipeInfo } from './sp-pipe';
import { framingOf, parseSpUrl, type SpAddress } from './sp-url';

/** Counters every SP socket reports. */
export interface SpSocketStats {
  /** Pipes ready now. */
  pipes: number;
  /** Pipes that completed the header exchange, since the socket was created. */
  pipesOpened: number;
  /** Ready pipes that closed since. */
  pipesClosed: number;
  /** Refused connections and dropped messages by reason (see {@link SpFault}). */
  faults: SpFaultCounts;
}

/** True for a number in [min, max] (NaN and non-numbers are not). */
function isIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && value >= min && value <= max;
}

function badArgument(name: string, value: unknown, expected: string): NaniteError {
  return new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `whenConnected(): ${name} must be ${expected}, got ${String(value)}`, data: { [name]: value } });
}

/** Told when a pipe of the socket comes up (`up`) or goes away (`down`). */
export type SpPipeListener = (event: 'up' | 'down', pipe: SpPipeInfo) => void;

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (e: NaniteError) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Base of the SP sockets. Not constructed directly. */
export abstract class SpSocket {
  protected readonly options: ResolvedSpOptions;
  protected readonly logger: Logger;
  protected readonly faults: SpFaultCounter;
  /** Ready pipes by id, in the order they became ready. */
  protected readonly pipes = new Map<number, SpPipe>();
  private readonly endpoints = new Set<SpEndpoint>();
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<SpPipeListener>();
  private connections = 0;
  /** Connections taken over from another endpoint (see takeOver): no endpoint of ours closes them. */
  private readonly takenOver = new Set<SpPipe>();
  private nextPipeId = 1;
  private opened = 0;
  private closedPipes = 0;
  private closing: Promise<void> | undefined;
  private isClosed = false;
  private drained: (() => void) | undefined;
  /** What listeners and dialers see of this socket. */
  private readonly host: SpEndpointHost;

  protected constructor(
    /** The SP protocol this socket speaks. */
    readonly protocol: SpProtocolName,
    options: SpSocketOptions = {},
  ) {
    this.options = resolveSpOptions(options);
    this.logger = options.logger ?? defaultLogger('nanite-sp');
    this.faults = new SpFaultCounter(this.logger, { sp: protocol, ...(options.name ? { name: options.name } : {}) });
    const o = this.options;
    this.host = {
      adopt: (conn, address, remote, owner) => this.adopt(conn, address, remote, owner),
      handshakeTimeout: o.handshakeTimeout,
      reconnectMin: o.reconnectMin,
      reconnectMax: o.reconnectMax,
    };
  }

  /** True after {@link SpSocket.close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of ready pipes. */
  get pipeCount(): number {
    return this.pipes.size;
  }

  /**
   * Listens on `tcp://host:port` (port 0: an ephemeral port, reported in the endpoint's `url`) or
   * `ipc:///path`. Rejects with `NANITE_ERR_INVALID_ARGUMENT` on a bad URL, `NANITE_ERR_TRANSPORT`
   * when the address cannot be bound.
   */
  async listen(url: string): Promise<SpEndpoint> {
    const address = parseSpUrl(url);
    this.assertOpen();
    const listener = await SpListener.open(address, this.host);
    if (this.isClosed) {
      await listener.close();
      this.assertOpen();
    }
    this.endpoints.add(listener);
    return listener;
  }

  /**
   * Dials `tcp://host:port` or `ipc:///path` in the background and keeps that connection up
   * (reconnecting with backoff). Returns at once; see {@link SpSocket.whenConnected}.
   */
  dial(url: string): SpEndpoint {
    const address = parseSpUrl(url);
    this.assertOpen();
    const dialer = new SpDialer(address, this.host);
    this.endpoints.add(dialer);
    dialer.start();
    return dialer;
  }

  /**
   * Resolves once at least `count` pipes are ready; rejects with `NANITE_ERR_TIMEOUT` after
   * `timeout` ms (0: wait until the socket closes) and `NANITE_ERR_SHUTTING_DOWN` on close.
   * Rejects with `NANITE_ERR_INVALID_ARGUMENT` unless `count` is an integer >= 0 and `timeout` a
   * number in [0, 2^31 - 1] (a longer timer would fire at once; a fraction of a ms is rounded up,
   * as a time left until a deadline often has one).
   */
  whenConnected(count = 1, timeout = 0): Promise<void> {
    if (!isIn(count, 0, Number.MAX_SAFE_INTEGER) || !Number.isInteger(count)) return Promise.reject(badArgument('count', count, 'an integer in [0, 2^53 - 1]'));
    if (!isIn(timeout, 0, MAX_TIMER_DELAY)) return Promise.reject(badArgument('timeout', timeout, `a number of ms in [0, ${MAX_TIMER_DELAY}]`));
    timeout = Math.ceil(timeout);
    if (this.pipes.size >= count) return Promise.resolve();
    if (this.isClosed) return Promise.reject(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The SP socket is closed' }));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { count, resolve, reject, timer: undefined };
      if (timeout > 0) {
        w.timer = setTimeout(() => {
          this.waiters.delete(w);
          reject(new NaniteError('NANITE_ERR_TIMEOUT', { message: `Fewer than ${count} SP pipe(s) after ${timeout} ms` }));
        }, timeout);
      }
      this.waiters.add(w);
    });
  }

  /**
   * Calls `listener` whenever a pipe completes the header exchange (`up`) or a ready pipe closes
   * (`down`), e.g. to notice that an endpoint became unreachable. A listener that throws is logged
   * and otherwise ignored. Returns a function that removes it.
   */
  onPipe(listener: SpPipeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counters of this socket (a snapshot). */
  stats(): SpSocketStats {
    return { pipes: this.pipes.size, pipesOpened: this.opened, pipesClosed: this.closedPipes, faults: this.faults.snapshot() };
  }

  /**
   * Closes every listener, dialer and connection and settles whatever waits on this socket (each
   * subclass says how). Idempotent; resolves when the listeners have released their addresses.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.isClosed = true;
    this.closing = (async () => {
      this.onClose();
      for (const w of this.waiters) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The SP socket is closed' }));
      }
      this.waiters.clear();
      this.listeners.clear();
      await Promise.all([...this.endpoints].map((e) => e.close()));
      this.endpoints.clear();
      for (const pipe of this.takenOver) pipe.close();
      // Wait for every connection's 'close' so no handle outlives close().
      if (this.connections > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    })();
    return this.closing;
  }

  /**
   * Takes over a connection that another endpoint accepted (see {@link SpMultiListener}): it becomes
   * a pipe of this socket as if this socket's own listener had accepted it. The connection must be
   * paused with any bytes already read put back (`unshift`); it is resumed here. Returns false (and
   * destroys the connection) when the socket is closed or at its `maxPipes`.
   */
  takeOver(conn: Socket, address: SpAddress, owner: SpPipeOwner): boolean {
    const pipe = this.adopt(conn, address, address.kind === 'ipc' ? address.path : undefined, {
      pipeClosed: (p, wasReady) => {
        this.takenOver.delete(p);
        owner.pipeClosed(p, wasReady);
      },
    });
    if (pipe) this.takenOver.add(pipe);
    conn.resume();
    return pipe !== undefined;
  }

  /** Turns a connection of a listener or dialer into a pipe (or refuses it). */
  private adopt(conn: Socket, address: SpAddress, remote: string | undefined, owner: SpPipeOwner): SpPipe | undefined {
    if (this.isClosed) {
      conn.destroy();
      return undefined;
    }
    if (this.connections >= this.options.maxPipes) {
      this.faults.record('pipe-limit', { remote: remote ?? conn.remoteAddress });
      conn.destroy();
      return undefined;
    }
    this.connections++;
    const config = {
      id: this.nextPipeId++,
      protocol: this.protocol,
      framing: framingOf(address),
      maxMessageSize: this.options.maxMessageSize,
      handshakeTimeout: this.options.handshakeTimeout,
      maxWriteBuffer: this.options.maxWriteBuffer,
      linger: this.options.linger,
      ...(remote === undefined ? {} : { remote }),
    };
    return new SpPipe(conn, config, {
      ready: (pipe) => this.pipeReady(pipe),
      message: (pipe, message) => this.onMessage(pipe, message),
      fault: (pipe, fault) => this.faults.record(fault, { remote: pipe.remote }),
      drain: (pipe) => this.onDrain(pipe),
      closed: (pipe) => {
        this.connections--;
        const wasReady = this.pipes.delete(pipe.id);
        if (wasReady) {
          this.closedPipes++;
          this.onPipeClosed(pipe);
          this.notify('down', pipe);
        }
        owner.pipeClosed(pipe, wasReady);
        if (this.connections === 0) this.drained?.();
      },
    });
  }

  /** Counts a fault (message-level faults come from subclasses). */
  protected fault(fault: SpFault, pipe?: SpPipe): void {
    this.faults.record(fault, pipe ? { remote: pipe.remote } : undefined);
  }

  protected assertOpen(): void {
    if (this.isClosed) throw new NaniteError('NANITE_ERR_SHUTTING_DOWN', { message: 'The SP socket is closed' });
  }

  private pipeReady(pipe: SpPipe): void {
    if (this.isClosed) {
      pipe.close();
      return;
    }
    this.pipes.set(pipe.id, pipe);
    this.opened++;
    for (const w of this.waiters) {
      if (this.pipes.size < w.count) continue;
      if (w.timer) clearTimeout(w.timer);
      this.waiters.delete(w);
      w.resolve();
    }
    this.onPipeReady(pipe);
    this.notify('up', pipe);
  }

  private notify(event: 'up' | 'down', pipe: SpPipe): void {
    for (const listener of this.listeners) {
      try {
        listener(event, pipe.info);
      } catch (e) {
        this.logger.error({ sp: this.protocol, err: e }, 'an SP pipe listener threw (ignored)');
      }
    }
  }

  /** A pipe completed the header exchange. */
  protected abstract onPipeReady(pipe: SpPipe): void;
  /** A message arrived on a ready pipe. */
  protected abstract onMessage(pipe: SpPipe, message: Buffer): void;
  /** A ready pipe closed. */
  protected abstract onPipeClosed(pipe: SpPipe): void;
  /** A pipe that refused a send has room again. */
  protected abstract onDrain(pipe: SpPipe): void;
  /** The socket is closing: settle everything that waits. */
  protected abstract onClose(): void;
}
