/**
 * `nanite broker setup`: a vhost, an agent user and a mapper user with the least-privilege
 * permissions of docs/amqp.md ("Permissions for a locked-down vhost"), through `rabbitmqctl`
 * (as the original Nanite's rabbitconf did). `--dry-run` prints the commands instead.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { amqpPermissions, NaniteError, type AmqpPermissionRow } from '@nanite/core';
import type { Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';

/** Runs one rabbitmqctl command (injectable for tests). */
export type Rabbitmqctl = (args: readonly string[]) => Promise<void>;

/** Options of {@link runBrokerSetup}. */
export interface BrokerSetupOptions {
  vhost: string;
  prefix: string;
  /** User names (default `<prefix>-agent`, `<prefix>-mapper`). */
  agentUser?: string;
  mapperUser?: string;
  /** Let the mapper user write to `amq.default` too: requests by queue name (docs/amqp.md). */
  defaultExchange?: boolean;
  dryRun?: boolean;
}

/** configure / write / read patterns of each role for prefix `p` (docs/amqp.md); `defaultExchange`: mappers may also write to `amq.default`. */
export function brokerPermissions(prefix: string, defaultExchange = false): Record<'agent' | 'mapper', AmqpPermissionRow> {
  return amqpPermissions(prefix, { defaultExchange });
}

const realRabbitmqctl: Rabbitmqctl = (args) =>
  new Promise((resolve, reject) => {
    execFile('rabbitmqctl', [...args], (err, _out, stderr) => {
      if (err) reject(new NaniteError('NANITE_ERR_TRANSPORT', { message: `rabbitmqctl ${args[0] ?? ''} failed: ${String(stderr).trim() || err.message}`, cause: err }));
      else resolve();
    });
  });

/** Creates the vhost and both users (printing their passwords once), or prints the commands with `dryRun`. */
export function runBrokerSetup(o: BrokerSetupOptions, io: CliIo, ctl: Rabbitmqctl = realRabbitmqctl): Promise<ExitCode> {
  return guarded(io, async () => {
    // rabbitmqctl reads an argument starting with "-" as options: nothing we pass may start so.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.prefix)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${o.prefix}" is not a valid prefix (letters, digits, . _ -, not starting with . _ -)` });
    const perms = brokerPermissions(o.prefix, o.defaultExchange);
    const users = { agent: o.agentUser ?? `${o.prefix}-agent`, mapper: o.mapperUser ?? `${o.prefix}-mapper` };
    for (const name of [o.vhost, users.agent, users.mapper]) {
      if (name.length === 0 || name.startsWith('-')) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${name}" is not a valid vhost or user name (empty, or starts with "-")` });
    }
    // Hex, not base64url: a password starting with "-" (1 in 64 for base64url) failed add_user.
    const passwords = { agent: randomBytes(18).toString('hex'), mapper: randomBytes(18).toString('hex') };
    const steps: string[][] = [['add_vhost', o.vhost]];
    for (const role of ['agent', 'mapper'] as const) {
      steps.push(['add_user', users[role], o.dryRun ? `<${role}-password>` : passwords[role]]);
      steps.push(['set_permissions', '-p', o.vhost, users[role], ...perms[role]]);
    }
    for (const step of steps) {
      if (o.dryRun) io.stdout.write(`rabbitmqctl ${step.map((a) => `'${a}'`).join(' ')}\n`);
      else await ctl(step);
    }
    if (!o.dryRun) {
      const v = encodeURIComponent(o.vhost);
      io.stdout.write(`vhost "${o.vhost}" ready; the passwords are shown only now:\n`);
      io.stdout.write(`  agents:  amqp://${users.agent}:${passwords.agent}@HOST:5672/${v}?prefix=${o.prefix}\n`);
      io.stdout.write(`  mappers: amqp://${users.mapper}:${passwords.mapper}@HOST:5672/${v}?prefix=${o.prefix}\n`);
      io.stdout.write('An agent that calls other actors (ctx.request) needs both roles\' permissions (docs/amqp.md).\n');
    }
    return EXIT.OK;
  });
}

/** Registers `nanite broker setup`. */
export const registerBroker: RegisterCommand = (program: Command, ctx) => {
  program
    .command('broker')
    .description('prepare RabbitMQ for a Nanite application (rabbitmqctl)')
    .command('setup')
    .description('create a vhost, an agent user and a mapper user with least-privilege permissions')
    .requiredOption('--vhost <vhost>', 'the vhost of the application')
    .option('--prefix <prefix>', 'the topology prefix (the transport URL\'s ?prefix=)', 'nanite')
    .option('--agent-user <name>', 'agent user name (default <prefix>-agent)')
    .option('--mapper-user <name>', 'mapper user name (default <prefix>-mapper)')
    .option('--default-exchange', 'also let mappers write to amq.default: requests go to agents\' queues by name, 2–5 % faster at low concurrency (mapper credentials may then publish to any queue of the vhost, as agent credentials may)')
    .option('--dry-run', 'print the rabbitmqctl commands instead of running them')
    .addHelpText('after', examples(['nanite broker setup --vhost shop --prefix shop', 'nanite broker setup --vhost shop --default-exchange', 'nanite broker setup --vhost shop --dry-run']))
    .action(async (f: { vhost: string; prefix: string; agentUser?: string; mapperUser?: string; defaultExchange?: boolean; dryRun?: boolean }) => {
      ctx.setExit(await runBrokerSetup(f, ctx.io));
    });
};
