/**
 * Helpers of the amqp:// integration tests: the broker URL, unique prefixes, and removal of the
 * durable exchanges and park queues a test leaves behind.
 */
import type { ChannelModel } from 'amqplib';
import { removeAmqpTopology, type AmqpTransport } from '../src';

/** The broker the integration tests use. */
export const AMQP_URL = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let counter = 0;
/** A topology prefix no other test uses. */
export function uniquePrefix(tag: string): string {
  return `nt-${tag}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** Deletes the exchanges of each prefix and the park queues of the given routes. */
export async function removeTopology(prefixes: readonly string[], routes: readonly string[] = [], url = AMQP_URL): Promise<void> {
  for (const prefix of prefixes) await removeAmqpTopology(url, prefix, { routes });
}

/** Does `queue` exist? (Another connection's exclusive queue answers RESOURCE_LOCKED.) */
export async function queueExists(conn: ChannelModel, queue: string): Promise<boolean> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined); // the failed check closes the channel: that is the answer
  try {
    await ch.checkQueue(queue);
    await ch.close();
    return true;
  } catch (err) {
    return (err as { code?: number }).code !== 404;
  }
}

/** The broker connection a transport is on now (an agent's exclusive queue can only be changed from it). */
export function connectionOf(t: AmqpTransport): ChannelModel {
  return (t as unknown as { connection: { current: ChannelModel | undefined } }).connection.current!;
}
