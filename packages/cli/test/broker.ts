/** The broker of the integration suites: URL, unique prefixes, and removal of what a test declared. */
import { removeAmqpTopology } from '@nanite/core';

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
  for (const prefix of prefixes) await removeAmqpTopology(AMQP_URL, prefix, { routes });
}
