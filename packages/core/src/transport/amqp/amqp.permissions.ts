/**
 * The least-privilege RabbitMQ permissions of each role under one prefix: the rows of docs/amqp.md,
 * "Permissions for a locked-down vhost" (`nanite broker setup` applies them; the permissions
 * integration test checks both roles work with exactly these, and that they are the documented rows).
 */

/** configure / write / read patterns of one role, as `rabbitmqctl set_permissions` takes them. */
export type AmqpPermissionRow = readonly [configure: string, write: string, read: string];

/** Options of {@link amqpPermissions}. */
export interface AmqpPermissionOptions {
  /**
   * Also let mappers write to the default exchange (`amq.default`): they then publish requests to
   * agents' queues by name (see AmqpTransportOptions.defaultExchange), 2–5 % faster at low
   * concurrency. Their credentials may then publish to any queue of the vhost by name, as an agent's
   * may already. Default false.
   */
  defaultExchange?: boolean;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The permissions of agents and mappers under `prefix`. */
export function amqpPermissions(prefix: string, options: AmqpPermissionOptions = {}): Record<'agent' | 'mapper', AmqpPermissionRow> {
  const p = escape(prefix);
  const mapperWrite = `^${p}\\.(agent|advertise|park|gossip)$|^${p}\\.(mapper|park|gossip)\\..*`;
  return {
    agent: [
      `^${p}\\.(heartbeat|advertise|agent|reply|park)$|^${p}\\.(agent|park)\\..*`,
      `^${p}\\.(heartbeat|reply|park)$|^amq\\.default$|^${p}\\.(agent|park)\\..*`,
      `^${p}\\.(advertise|agent|park)$|^${p}\\.(agent|park)\\..*`,
    ],
    mapper: [
      `^${p}\\.(heartbeat|advertise|agent|reply|park|gossip)$|^${p}\\.(mapper|park|gossip)\\..*`,
      options.defaultExchange ? `${mapperWrite}|^amq\\.default$` : mapperWrite,
      `^${p}\\.(heartbeat|reply|park|gossip)$|^${p}\\.(mapper|gossip)\\..*`,
    ],
  };
}
