/** The `nanite` program: commander wiring of every command, and `main()`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { CommandContext, RegisterCommand } from './command-context';
import { registerAdmin } from './commands/admin.command';
import { registerAgent } from './commands/agent.command';
import { registerAgents } from './commands/agents.command';
import { registerBroker } from './commands/broker.command';
import { registerCerts } from './commands/certs.command';
import { registerDemo } from './commands/demo.command';
import { registerForget } from './commands/forget.command';
import { registerMapper } from './commands/mapper.command';
import { registerPush } from './commands/push.command';
import { registerRequest } from './commands/request.command';
import { registerSurvey } from './commands/survey.command';
import { EXIT } from './exit-codes';
import { securityOptions } from './options';
import type { CliIo } from './io';

/** Every command, in the order `nanite --help` lists them. */
export const COMMANDS: readonly RegisterCommand[] = [registerAgent, registerRequest, registerPush, registerSurvey, registerAgents, registerForget, registerMapper, registerAdmin, registerDemo, registerCerts, registerBroker];

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Builds the commander program; `setExit` receives the exit status of the command that ran. */
export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('nanite')
    .description('Nanite from the shell: run agents, send requests, watch the cluster.')
    .version(version(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage and examples)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
The transport URL comes from --url, else $NANITE_URL, else {"url": "..."} in ./.naniterc.json,
else ~/.naniterc.json. Every command has --help with examples.

Examples:
  $ nanite agent --url amqp://guest:guest@localhost:5672 --actors examples/simple-agent/simple.js --token fred
  $ nanite request /simple/echo hello --url amqp://guest:guest@localhost:5672
  $ nanite request /simple/echo --selector all
  $ nanite survey /simple/echo hi --deadline 500ms
  $ nanite agents
  $ nanite mapper -i
  $ nanite admin --port 4000
  $ nanite demo
`,
    );
  const ctx: CommandContext = { io, setExit };
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherit output and exit handling (commander copies settings on creation, so set them on each).
  for (const sub of program.commands) {
    if (sub.name() !== 'certs' && sub.name() !== 'broker') {
      for (const o of securityOptions()) sub.addOption(o);
      // --cert/--key/--ca/--aead override $NANITE_CERT/$NANITE_KEY/$NANITE_CA/$NANITE_AEAD, where every command reads secure mode from.
      sub.hook('preAction', (cmd) => {
        const f = cmd.opts<{ cert?: string; key?: string; ca?: string; aead?: string }>();
        if (!f.cert && !f.key && !f.ca && !f.aead) return;
        const env = { ...ctx.io.env };
        if (f.cert) env.NANITE_CERT = f.cert;
        if (f.key) env.NANITE_KEY = f.key;
        if (f.ca) env.NANITE_CA = f.ca;
        if (f.aead) env.NANITE_AEAD = f.aead;
        ctx.io = { ...ctx.io, env };
      });
    }
    sub.exitOverride().showHelpAfterError('(add --help for usage and examples)').configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  }
  return program;
}

/**
 * Runs `nanite` with `argv` (as `process.argv`: node, script, args...) and resolves with the exit
 * status: the command's, 0 after `--help`/`--version`, {@link EXIT.USAGE} for a usage error.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length <= 2) {
    io.stderr.write(program.helpInformation());
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    throw err;
  }
  return code;
}
