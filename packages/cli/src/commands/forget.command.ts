/** `nanite forget IDENTITY`: retire an agent on every mapper (it turns `removed`; the agent stops). */
import { NaniteError } from '@nanite/core';
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { DEFAULT_DISCOVERY_MS, discoveryPause, openMapper } from '../mapper-session';
import { urlFor, urlOption } from '../options';
import { escapeControls } from '../terminal-text';

/** Options of {@link runForget}. */
export interface ForgetCommandOptions {
  url: string;
  identity: string;
  /** How long to listen for the roster (the running mappers' gossip and agents' Registers) before retiring (ms). */
  wait?: number | undefined;
}

/** Time (ms) left for the retirement to go out to the other mappers before this short-lived mapper closes. */
const SPREAD_MS = 300;

/**
 * Learns the roster, retires `identity` and lets the retirement spread. Exits 3 (`NANITE_ERR_NO_AGENT`)
 * when no mapper knows the identity.
 */
export function runForget(o: ForgetCommandOptions, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    const mapper = await openMapper(o.url, io);
    try {
      await discoveryPause(o.wait ?? DEFAULT_DISCOVERY_MS);
      const entry = mapper.forget(o.identity);
      if (!entry) throw new NaniteError('NANITE_ERR_NO_AGENT', { message: `No mapper's roster knows an agent "${o.identity}"`, data: { identity: o.identity } });
      await discoveryPause(SPREAD_MS);
      io.stdout.write(`${escapeControls(o.identity)} removed\n`);
      return EXIT.OK;
    } finally {
      await mapper.close();
    }
  });
}

/** Registers `nanite forget`. */
export const registerForget: RegisterCommand = (program: Command, ctx) => {
  program
    .command('forget')
    .description('retire an agent on every mapper: it shows as removed, its heartbeats are refused and it stops')
    .argument('<identity>', 'the agent identity')
    .addOption(urlOption())
    .addOption(new Option('--wait <duration>', `how long to listen for the roster first (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addHelpText('after', examples(['nanite forget fred --url amqp://guest:guest@localhost:5672', 'nanite agents --all']))
    .action(async (identity: string, flags: { url?: string; wait?: number }) => {
      ctx.setExit(await guarded(ctx.io, () => runForget({ url: urlFor(flags.url, ctx.io), identity, wait: flags.wait }, ctx.io)));
    });
};
