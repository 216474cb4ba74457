/**
 * One broker connection that comes back: connects with backoff and jitter, tells its observers when
 * it is up (they re-declare and re-consume) and when it is down, and fails fast on bad credentials.
 * Given the nodes of a cluster it is on one of them at a time: on loss it tries the next node at
 * once, and backs off only after a whole round of nodes failed.
 *
 * amqplib is loaded here, lazily, so processes that only use memory:// never load it.
 */
import type { ChannelModel } from 'amqplib';
import { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import { installFrameReader } from './frame-reader';
import { SocketReader } from './socket-reader';

/** Something that lives on the connection: links re-attach on every `up`. */
export interface ConnectionObserver {
  /** The connection is (again) usable. */
  up(model: ChannelModel, reconnected: boolean): void;
  /** The connection was lost; a reconnect is scheduled. */
  down(): void;
}

/** One broker node the connection may use. */
export interface AmqpNode {
  /** What amqplib connects to. */
  url: string;
  /** For messages: the URL without credentials. */
  safeUrl: string;
  /** `host:port`, what `transport.node` reports. */
  name: string;
}

/** What the connection last saw of one node. */
export interface AmqpNodeState {
  /** `host:port`. */
  node: string;
  /** `up`: connected to it now; `down`: the last attempt (or the connection) failed; `unknown`: not tried since. */
  state: 'up' | 'down' | 'unknown';
  /** Date.now() of the last change. */
  since: number;
}

/** Settings of {@link AmqpConnection}. */
export interface AmqpConnectionSettings {
  /** The nodes, in the order to try them (at least one). */
  nodes: readonly AmqpNode[];
  /** For messages: the URL (or host list) without credentials. */
  safeUrl: string;
  connectTimeout: number;
  reconnectMin: number;
  reconnectMax: number;
  failFast: boolean;
  logger: Logger;
}

type AmqplibModule = typeof import('amqplib');

/** Is this error the broker refusing the user, password or vhost? */
export function isAuthError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  // 403 ACCESS_REFUSED on login; a missing or forbidden vhost closes the connection during open (530 NOT_ALLOWED).
  return /ACCESS.REFUSED|NOT.ALLOWED|\b403\b|\b530\b|Expected ConnectionOpenOk/.test(message);
}

/** Is this a channel-level 403 (the user may not declare, bind, publish or consume this)? */
export function isAccessRefused(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 403 || (typeof e.message === 'string' && e.message.includes('ACCESS_REFUSED'));
}

/** A self-healing connection to the broker. */
export class AmqpConnection {
  private model: ChannelModel | undefined;
  private readonly observers = new Set<ConnectionObserver>();
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private everConnected = false;
  /** Plain amqp:// connections read with `onread` (socket-reader.ts) until Node is seen not to support it. */
  private onreadUsable = true;
  private readonly onreadUnusable = (): void => {
    this.onreadUsable = false;
  };
  private closed = false;
  private starting: Promise<void> | undefined;
  private inflight: Promise<unknown> | undefined;
  /** Index of the node the next attempt goes to. */
  private next = 0;
  private on: AmqpNode | undefined;
  private readonly states: AmqpNodeState[];

  constructor(private readonly s: AmqpConnectionSettings) {
    if (s.nodes.length === 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'amqp:// needs at least one broker node' });
    const now = Date.now();
    this.states = s.nodes.map((n) => ({ node: n.name, state: 'unknown', since: now }));
  }

  /** `host:port` of the node connected to, when up. */
  get node(): string | undefined {
    return this.model ? this.on?.name : undefined;
  }

  /** What the connection last saw of each node (copies). */
  nodeStates(): AmqpNodeState[] {
    return this.states.map((st) => ({ ...st }));
  }

  private mark(i: number, state: AmqpNodeState['state']): void {
    const st = this.states[i]!;
    if (st.state === state) return;
    st.state = state;
    st.since = Date.now();
  }

  /** The live connection, when up. */
  get current(): ChannelModel | undefined {
    return this.model;
  }

  /** True while connected. */
  get isUp(): boolean {
    return this.model !== undefined;
  }

  /** Adds an observer; it is told `up` at once when the connection is already up. */
  observe(o: ConnectionObserver): () => void {
    this.observers.add(o);
    if (this.model) o.up(this.model, false);
    return () => this.observers.delete(o);
  }

  /**
   * First connection attempt. Rejects with `NANITE_ERR_TRANSPORT_AUTH` on bad credentials or vhost
   * (and with `NANITE_ERR_NOT_CONNECTED` on an unreachable broker when `failFast`); otherwise
   * resolves, connected or retrying in the background.
   */
  start(): Promise<void> {
    this.starting ??= this.first();
    return this.starting;
  }

  private async first(): Promise<void> {
    let err = await this.attempt();
    // Every node gets one try before the first connect gives up on any of them.
    for (let i = 1; err && !isAuthError(err) && i < this.s.nodes.length; i++) err = await this.attempt();
    if (!err) return;
    if (isAuthError(err)) {
      this.closed = true;
      throw new NaniteError('NANITE_ERR_TRANSPORT_AUTH', { message: `${this.s.safeUrl}: ${messageOf(err)}`, cause: err });
    }
    if (this.s.failFast) {
      this.closed = true;
      throw new NaniteError('NANITE_ERR_NOT_CONNECTED', { message: `${this.s.safeUrl} is unreachable: ${messageOf(err)}`, cause: err });
    }
    this.s.logger.warn({ url: this.s.safeUrl, err: messageOf(err) }, 'broker unreachable; retrying in the background');
    this.schedule();
  }

  /** One attempt; resolves with the error when it failed. */
  private attempt(): Promise<unknown> {
    if (this.closed) return Promise.resolve(undefined);
    this.inflight ??= this.tryOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async tryOnce(): Promise<unknown> {
    let model: ChannelModel;
    let reader: SocketReader | undefined;
    const i = this.next;
    const node = this.s.nodes[i]!;
    try {
      const amqp: AmqplibModule = await import('amqplib');
      // Plain amqp:// reads into one reused buffer (socket-reader.ts); amqps:// reads as amqplib does.
      reader = node.url.startsWith('amqp:') && this.onreadUsable ? new SocketReader(this.onreadUnusable) : undefined;
      // noDelay: without it a reply followed by an ack waits ~40 ms for Nagle's algorithm.
      model = await amqp.connect(node.url, { noDelay: true, timeout: this.s.connectTimeout, ...(reader ? { onread: reader.onread } : {}) });
    } catch (err) {
      this.mark(i, 'down');
      this.next = (i + 1) % this.s.nodes.length;
      if (this.s.nodes.length > 1) this.s.logger.debug({ node: node.name, err: messageOf(err) }, 'broker node unreachable');
      return err;
    }
    this.mark(i, 'up');
    this.on = node;
    if (this.closed) {
      await model.close().catch(() => undefined); // closing anyway: nothing to report
      return undefined;
    }
    this.attach(model, reader);
    return undefined;
  }

  private attach(model: ChannelModel, reader: SocketReader | undefined): void {
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.attempts = 0;
    this.model = model;
    if (!reader?.attach(model)) installFrameReader(model);
    model.on('error', (err: Error) => this.s.logger.warn({ url: this.s.safeUrl, err: err.message }, 'connection error'));
    model.on('blocked', (reason: string) => this.s.logger.warn({ url: this.s.safeUrl, reason }, 'broker blocked publishing (resource alarm)'));
    model.on('close', () => this.lost(model));
    if (reconnected) this.s.logger.info({ url: this.s.safeUrl, node: this.on?.name }, 'reconnected');
    for (const o of [...this.observers]) o.up(model, reconnected);
  }

  private lost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    if (this.closed) return;
    const i = this.s.nodes.findIndex((n) => n === this.on);
    if (i >= 0) this.mark(i, 'down');
    const many = this.s.nodes.length > 1;
    // A cluster: the next attempt goes to the next node, at once.
    if (many) this.next = (i + 1) % this.s.nodes.length;
    this.s.logger.warn({ url: this.s.safeUrl, node: this.on?.name }, many ? 'connection lost; trying the next node' : 'connection lost; reconnecting');
    for (const o of [...this.observers]) o.down();
    this.schedule(many);
  }

  /** `immediate`: no backoff (a cluster's next node, while a round of nodes is not yet through). */
  private schedule(immediate = false): void {
    if (this.closed || this.timer) return;
    const n = this.s.nodes.length;
    const round = Math.floor(this.attempts / n);
    const base = Math.min(this.s.reconnectMax, this.s.reconnectMin * 2 ** round);
    const delay = immediate ? 0 : Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts++;
    // Deliberately not unref'd: while the broker is down this timer is all that keeps an agent or
    // mapper process alive (while it is up, the socket does); close() clears it.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt().then((err) => {
        if (!err) return;
        if (isAuthError(err)) this.s.logger.error({ url: this.s.safeUrl, err: messageOf(err) }, 'broker refused the credentials while reconnecting');
        else this.s.logger.debug({ url: this.s.safeUrl, err: messageOf(err) }, 'reconnect attempt failed');
        // Within a round of a cluster's nodes the next one is tried at once.
        this.schedule(n > 1 && this.attempts % n !== 0);
      });
    }, delay);
  }

  /** Stops reconnecting and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const model = this.model;
    this.model = undefined;
    this.observers.clear();
    // An attempt in flight closes what it opens once it sees `closed`.
    await this.inflight;
    // The broker may already be gone; there is nothing left to release then.
    if (model) await model.close().catch(() => undefined);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
