/**
 * Whether a connection may publish to RabbitMQ's default exchange (`amq.default`), which routes a
 * message straight to the queue its routing key names. Mappers publish requests there when they may
 * (amqp.wire.ts, HEADER_QUEUE_NAME): the broker skips the named exchange's route lookup, 2–5 % of a
 * request's time at concurrency 1 (BENCHMARKS.md, "What is left at concurrency 1").
 *
 * A vhost's permissions may refuse it (the least-privilege mapper role of docs/amqp.md does), and a
 * refused publish closes its channel (403 ACCESS_REFUSED). So it is found out once per connection, on
 * a throwaway channel: an empty message published to no queue at all (unroutable, dropped), then a
 * synchronous call that fails if the broker closed the channel over it.
 */
import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../../internal/logger';

/** The answers for the connections of one transport (each asked once). */
export class DefaultExchangeAccess {
  private readonly answers = new WeakMap<ChannelModel, Promise<boolean>>();

  /** `fallback`: the named exchange used instead (for the log). */
  constructor(
    private readonly logger: Logger,
    private readonly fallback: string,
  ) {}

  /** True when `model` may publish to the default exchange; false when refused, or when it could not be found out. Never rejects. */
  writable(model: ChannelModel): Promise<boolean> {
    let answer = this.answers.get(model);
    if (!answer) {
      answer = this.ask(model);
      this.answers.set(model, answer);
    }
    return answer;
  }

  private async ask(model: ChannelModel): Promise<boolean> {
    let ch: Channel | undefined;
    let refused: Error | undefined;
    try {
      ch = await model.createChannel();
      ch.on('error', (err: Error) => (refused = err));
      ch.publish('', '', Buffer.alloc(0));
      await ch.checkExchange('amq.direct');
      await ch.close();
      return true;
    } catch (err) {
      const code = (refused as { code?: unknown } | undefined)?.code;
      if (code === 403) this.logger.info({ err: refused!.message }, `this connection may not publish to the default exchange (amq.default): mappers publish requests through ${this.fallback} (grant write on amq.default to save its route lookup; docs/amqp.md)`);
      else this.logger.debug({ err: (err as Error).message }, `could not find out whether this connection may publish to the default exchange: mappers publish requests through ${this.fallback}`);
      return false;
    }
  }
}
