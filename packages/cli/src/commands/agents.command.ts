/** `nanite agents`: the live agents, as a table on a terminal or JSON. */
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import { isTty, type CliIo } from '../io';
import { DEFAULT_DISCOVERY_MS, discoveryPause, openMapper } from '../mapper-session';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { urlFor, urlOption } from '../options';
import { agentsJson, formatAgentsTable, formatJson } from '../output';

/** Options of {@link runAgents}. */
export interface AgentsCommandOptions {
  url: string;
  /** JSON even on a terminal. */
  json?: boolean | undefined;
  /** How long to listen for agents answering the Advertise (ms). */
  wait?: number | undefined;
}

/**
 * Lists live agents: a table (identity, status, in-flight, routes, tags, last seen) when stdout is a
 * terminal and `json` is not set, else a JSON array of agent views.
 */
export function runAgents(o: AgentsCommandOptions, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    const mapper = await openMapper(o.url, io);
    try {
      await discoveryPause(o.wait ?? DEFAULT_DISCOVERY_MS);
      const agents = mapper.agents();
      if (o.json || !isTty(io.stdout)) io.stdout.write(`${formatJson(agentsJson(agents), isTty(io.stdout))}\n`);
      else io.stdout.write(`${formatAgentsTable(agents, Date.now())}\n`);
      return EXIT.OK;
    } finally {
      await mapper.close();
    }
  });
}

/** Registers `nanite agents`. */
export const registerAgents: RegisterCommand = (program: Command, ctx) => {
  program
    .command('agents')
    .description('list the live agents: identity, status, routes, tags, last seen')
    .addOption(urlOption())
    .option('--json', 'print JSON even on a terminal (always JSON when piped)')
    .addOption(new Option('--wait <duration>', `how long to listen for agents (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addHelpText('after', examples(['nanite agents --url amqp://guest:guest@localhost:5672', 'nanite agents --json | jq ".[].identity"']))
    .action(async (flags: { url?: string; json?: boolean; wait?: number }) => {
      ctx.setExit(await guarded(ctx.io, () => runAgents({ url: urlFor(flags.url, ctx.io), json: flags.json, wait: flags.wait }, ctx.io)));
    });
};
