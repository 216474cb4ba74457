/**
 * Attaching a link to the broker, and attaching it again: one channel per connection (or per
 * channel failure), set up by the link, with the generation bookkeeping that lets `close()` or a
 * newer attach overtake one in progress, retries on failure, and the first-open promise.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { NaniteError } from '../../errors';
import type { Logger } from '../../internal/logger';
import type { AmqpConnection } from './amqp.connection';
import { attachFailed, REATTACH_DELAY } from './attach-failure';

/** What a link does on each attach and loss. */
export interface AttachableLink {
  /**
   * Sets up a fresh channel: topology, consumers, then takes it as its own. `stale()` turns true
   * when `close()` or a newer attach overtook this one: the link must then release what it made.
   */
  setup(ch: Channel, model: ChannelModel, stale: () => boolean, reconnected: boolean): Promise<void>;
  /** The connection is (again) up, before the channel is made. */
  connected?(): void;
  /** The connection was lost: forget the channel. */
  lost(): void;
  /** A channel closed: true when it was the link's current one (then it is attached again). */
  channelClosed(ch: Channel): boolean;
}

/** Settings of {@link LinkAttacher}. */
export interface LinkAttacherSettings {
  role: 'agent' | 'mapper';
  /** Log bindings naming the link. */
  bindings: object;
  connection: AmqpConnection;
  logger: Logger;
}

/** Follows the connection and (re-)attaches one link. */
export class LinkAttacher {
  private generation = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private unobserve: (() => void) | undefined;
  private first: { resolve: () => void; reject: (err: NaniteError) => void } | undefined;
  /** Opened while the broker was down: the first attach is announced like a reconnect. */
  private announce = false;

  constructor(
    private readonly s: LinkAttacherSettings,
    private readonly link: AttachableLink,
  ) {}

  /** Starts following the connection; resolves once attached, or at once when the broker is down. */
  open(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => (this.first = { resolve, reject }));
    const wasUp = this.s.connection.isUp;
    this.announce = !wasUp;
    this.unobserve = this.s.connection.observe({
      up: (model, reconnected) => {
        const announce = this.announce;
        this.announce = false;
        this.link.connected?.();
        void this.attach(model, reconnected || announce);
      },
      down: () => {
        // A retry scheduled for the lost connection is moot: the next `up` attaches afresh.
        this.cancelRetry();
        this.link.lost();
        this.opened();
      },
    });
    return wasUp ? first : Promise.resolve();
  }

  /** The link is usable (attached, or waiting for the broker): `open()` resolves. */
  opened(): void {
    this.first?.resolve();
    this.first = undefined;
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async attach(model: ChannelModel, reconnected: boolean): Promise<void> {
    const gen = ++this.generation;
    // This attach supersedes a scheduled one (whose failures would otherwise find the slot taken).
    this.cancelRetry();
    const stale = (): boolean => gen !== this.generation || this.closed;
    let ch: Channel | undefined;
    try {
      ch = await model.createChannel();
      if (stale()) {
        await ch.close();
        return;
      }
      const channel = ch;
      channel.on('error', (err: Error) => this.s.logger.warn({ ...this.s.bindings, err: err.message }, `${this.s.role} channel error`));
      channel.on('close', () => {
        // The connection is alive (else `lost` handles it): the channel alone failed, so open another.
        if (this.link.channelClosed(channel) && !this.closed && this.s.connection.current === model) this.schedule(model, this.generation, REATTACH_DELAY);
      });
      await this.link.setup(channel, model, stale, reconnected);
    } catch (err) {
      const rejected = await attachFailed(err, {
        role: this.s.role,
        bindings: this.s.bindings,
        channel: ch,
        logger: this.s.logger,
        rejectFirst: this.first?.reject,
        retry: (delay) => this.schedule(model, gen, delay),
      });
      if (rejected) this.first = undefined;
    }
  }

  /** Attaches again on the current connection soon (the broker cancelled the link's consumer). */
  reattachSoon(): void {
    const model = this.s.connection.current;
    if (model && !this.closed) this.schedule(model, this.generation, REATTACH_DELAY);
  }

  /**
   * One retry at a time, for the current generation: a newer attach, a lost connection or close()
   * cancels it (a retry left pending for a connection that is gone once swallowed the retry of the
   * failed attach on the next one, and the link never attached again).
   */
  private schedule(model: ChannelModel, gen: number, delay: number): void {
    if (this.closed || gen !== this.generation || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.s.connection.current === model) void this.attach(model, true);
    }, delay);
    // The connection's socket holds the process while it is up; this retry need not.
    this.retry.unref();
  }

  private cancelRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** Stops following the connection; an attach in progress sees `stale()`. Idempotent. */
  close(): void {
    this.closed = true;
    this.generation++;
    this.cancelRetry();
    this.unobserve?.();
    this.opened();
  }
}
