/**
 * Helpers of the amqp:// integration tests: the broker URL, unique prefixes, and removal of the
 * durable exchanges and park queues a test leaves behind.
 */
import { connect } from 'amqplib';
import { amqpNames } from '../src';

/** The broker the integration tests use. */
export const AMQP_URL = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let counter = 0;
/** A topology prefix no other test uses. */
export function uniquePrefix(tag: string): string {
  return `nt-${tag}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** Deletes the exchanges of each prefix and the park queues of the given routes. */
export async function removeTopology(prefixes: readonly string[], routes: readonly string[] = [], url = AMQP_URL): Promise<void> {
  if (prefixes.length === 0) return;
  const conn = await connect(url);
  try {
    const ch = await conn.createChannel();
    for (const prefix of prefixes) {
      const n = amqpNames(prefix);
      for (const route of routes) await ch.deleteQueue(n.parkQueue(route));
      for (const ex of [n.heartbeat, n.advertise, n.agent, n.reply, n.park]) await ch.deleteExchange(ex);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
}
