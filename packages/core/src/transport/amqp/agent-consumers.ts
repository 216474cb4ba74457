/**
 * The consumers of an agent link on its current channel: its request queue and the park queues
 * of its routes (offline-failsafe requests), each with a window of `prefetch` unacknowledged
 * deliveries. Routes added after start are consumed at once and on every later attach.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { declareParkQueue, type AmqpNames } from './amqp.topology';

/** What {@link AgentConsumers} needs from its link. */
export interface AgentConsumersSettings {
  queue: string;
  names: AmqpNames;
  prefetch: number;
  routes: readonly string[];
  /** A delivery (`parked`: from a park queue). */
  receive(ch: Channel, m: ConsumeMessage | null, parked: boolean): void;
  /** True while consumers on `ch` are wanted (it is the link's channel and the link takes work). */
  wanted(ch: Channel): boolean;
}

/** Starts, extends and cancels an agent link's consumers. */
export class AgentConsumers {
  private tags: string[] = [];
  /** Routes whose park queue is consumed on the current channel. */
  private readonly parkConsumed = new Set<string>();
  private readonly routes: Set<string>;

  constructor(private readonly s: AgentConsumersSettings) {
    this.routes = new Set(s.routes);
  }

  /** Consumes the request queue and every park queue on a fresh channel. */
  async start(ch: Channel): Promise<void> {
    this.forget();
    await ch.prefetch(this.s.prefetch); // per consumer
    const main = await ch.consume(this.s.queue, (m) => this.s.receive(ch, m, false), { noAck: false });
    if (!(await this.keep(ch, main.consumerTag))) return;
    for (const route of this.routes) await this.consumePark(ch, route);
  }

  /** Remembers `routes` and, when consuming on `ch` now, consumes their park queues at once. */
  async add(ch: Channel | undefined, routes: readonly string[]): Promise<void> {
    for (const route of routes) this.routes.add(route);
    // Not consuming now (not attached yet, paused, or still starting to): the next start consumes them all.
    if (!ch || this.tags.length === 0 || !this.s.wanted(ch)) return;
    for (const route of routes) await this.consumePark(ch, route);
  }

  /** Cancels every consumer on `ch`. */
  async cancel(ch: Channel): Promise<void> {
    const tags = this.tags;
    this.forget();
    for (const tag of tags) await ch.cancel(tag);
  }

  /** The channel is gone, and its consumers with it. */
  forget(): void {
    this.tags = [];
    this.parkConsumed.clear();
  }

  private async consumePark(ch: Channel, route: string): Promise<void> {
    if (this.parkConsumed.has(route)) return;
    this.parkConsumed.add(route);
    const q = await declareParkQueue(ch, this.s.names, route);
    const c = await ch.consume(q, (m) => this.s.receive(ch, m, true), { noAck: false });
    await this.keep(ch, c.consumerTag);
  }

  /** Records a new consumer; cancels it instead when the link paused (or moved on) while it was being set up. */
  private async keep(ch: Channel, tag: string): Promise<boolean> {
    if (this.s.wanted(ch)) {
      this.tags.push(tag);
      return true;
    }
    await ch.cancel(tag);
    return false;
  }
}
