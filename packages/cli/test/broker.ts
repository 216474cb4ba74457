/** The broker of the integration suites: URL, unique prefixes, and removal of what a test declared. */
import { amqpNames } from '@nanite/core';
import { connect } from 'amqplib';

/** The broker the integration tests use. */
export const AMQP_URL = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let counter = 0;

/** A topology prefix no other test (or parallel suite) uses. */
export function uniquePrefix(): string {
  return `nt-cli-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** The broker URL with `?prefix=` set, as the commands under test get it. */
export function urlWithPrefix(prefix: string): string {
  const url = new URL(AMQP_URL);
  url.searchParams.set('prefix', prefix);
  return url.toString();
}

/**
 * Deletes the durable exchanges of each prefix and the park queues of the given routes (agents
 * and mappers delete their own queues; these outlive them by design).
 */
export async function removeTopology(prefixes: readonly string[], routes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const conn = await connect(AMQP_URL);
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
