/**
 * Notices fast that an agent holding a mapper's requests died.
 *
 * An agent's request queue is exclusive: the broker deletes it the moment the agent's connection
 * closes (a killed process's socket is closed by its kernel at once). Every `interval` ms the
 * prober passively declares the queue of each agent that holds in-flight requests of this mapper:
 * 404 means the agent is gone; 405 (RESOURCE_LOCKED: the exclusive queue is held by a live
 * connection) means it is alive. Either answer closes the probe channel, so a probe costs opening
 * a channel and one passive declare (a few round trips, well under a millisecond) per such agent
 * per interval, and nothing at all while no request is in flight.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../../internal/logger';

/** What the prober needs from its mapper link. */
export interface AgentProberSettings {
  interval: number;
  logger: Logger;
  /** Agents to check now. */
  candidates(): string[];
  queueOf(agent: string): string;
  /** The agent's queue is gone. */
  gone(agent: string): void;
}

/** Periodic passive checks of agents' queues. */
export class AgentProber {
  private timer: NodeJS.Timeout | undefined;
  private ch: Channel | undefined;
  private model: ChannelModel | undefined;
  private busy = false;

  constructor(private readonly s: AgentProberSettings) {}

  /** Starts probing over `model` (stopping any earlier run first). */
  start(model: ChannelModel): void {
    this.stop();
    this.model = model;
    this.timer = setInterval(() => void this.tick(), this.s.interval);
    this.timer.unref();
  }

  /** Stops probing and closes the probe channel. Idempotent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.model = undefined;
    const ch = this.ch;
    this.ch = undefined;
    // The connection may be gone already; a probe channel holds nothing worth reporting.
    ch?.close().catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.model) return;
    const agents = this.s.candidates();
    if (agents.length === 0) return;
    this.busy = true;
    const model = this.model;
    try {
      for (const agent of agents) {
        if (this.model !== model) return;
        const ch = this.ch ?? (this.ch = await this.open(model));
        try {
          await ch.checkQueue(this.s.queueOf(agent));
        } catch (err) {
          // A failed passive declare closes the channel on the broker side.
          if (this.ch === ch) this.ch = undefined;
          const code = (err as { code?: unknown }).code;
          // 404: the queue is gone, so is its agent. 405 RESOURCE_LOCKED: the queue exists and is
          // held exclusively by another (the agent's) connection, i.e. the agent is alive.
          if (code === 404) this.s.gone(agent);
          else if (code !== 405) throw err;
        }
      }
    } catch (err) {
      this.s.logger.debug({ err: (err as Error).message }, 'agent probe failed (connection lost?)');
    } finally {
      this.busy = false;
    }
  }

  private async open(model: ChannelModel): Promise<Channel> {
    const ch = await model.createChannel();
    // A 404 on a probe closes this channel with an 'error' event; the tick above handles the outcome.
    ch.on('error', () => undefined);
    return ch;
  }
}
