/** `nanite agents`: the live agents, as a table on a terminal or JSON. */
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import { isTty, type CliIo } from '../io';
import { DEFAULT_DISCOVERY_MS, discoveryPause, openMapper } from '../mapper-session';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { urlFor, urlOption } from '../options';
import { agentsJson, formatAgentsTable, formatJson } from '../output';
import { formatRosterTable, rosterJson } from '../roster-output';

/** Options of {@link runAgents}. */
export interface AgentsCommandOptions {
  url: string;
  /** JSON even on a terminal. */
  json?: boolean | undefined;
  /** How long to listen for agents answering the Advertise (ms). */
  wait?: number | undefined;
  /** Every agent of the roster (up, suspect, down, removed), learned from the other mappers' gossip. */
  all?: boolean | undefined;
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
      if (o.all) {
        const roster = mapper.roster();
        if (o.json || !isTty(io.stdout)) io.stdout.write(`${formatJson(rosterJson(roster), isTty(io.stdout))}\n`);
        else io.stdout.write(`${formatRosterTable(roster, Date.now())}\n`);
        return EXIT.OK;
      }
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
    .option('--all', "every agent of the cluster's roster, with its state (up, suspect, down, removed), from the running mappers")
    .addOption(new Option('--wait <duration>', `how long to listen for agents (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addHelpText('after', examples(['nanite agents --url amqp://guest:guest@localhost:5672', 'nanite agents --json | jq ".[].identity"', 'nanite agents --all']))
    .action(async (flags: { url?: string; json?: boolean; wait?: number; all?: boolean }) => {
      ctx.setExit(await guarded(ctx.io, () => runAgents({ url: urlFor(flags.url, ctx.io), json: flags.json, wait: flags.wait, all: flags.all }, ctx.io)));
    });
};
