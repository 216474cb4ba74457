/** `nanite push ROUTE [PAYLOAD]`: fire-and-forget. */
import type { PushOptions } from '@nanite/core';
import { Option, type Command } from 'commander';
import { checkRoute, examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { DEFAULT_DISCOVERY_MS, openMapper } from '../mapper-session';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { selectorOption, tagOption, urlFor, urlOption, type SelectorChoice } from '../options';
import { parsePayload } from '../payload';

/** Options of {@link runPush}. */
export interface PushCommandOptions {
  url: string;
  route: string;
  payload?: string | undefined;
  raw?: boolean | undefined;
  selector?: SelectorChoice | undefined;
  target?: string | undefined;
  tags?: readonly string[] | undefined;
  /** Park the push until an agent for the route appears instead of failing. */
  persistent?: boolean | undefined;
  /** How long to listen for agents before giving up (ms). */
  discovery?: number | undefined;
}

/**
 * Pushes a payload to one agent (or to every agent with `selector: 'all'`). Prints nothing on
 * success; exits {@link EXIT.NO_AGENT} when no agent serves the route.
 */
export function runPush(o: PushCommandOptions, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    checkRoute(o.route);
    const payload = parsePayload(o.payload, { raw: o.raw });
    const mapper = await openMapper(o.url, io, o.discovery ?? DEFAULT_DISCOVERY_MS);
    try {
      const tags = o.tags ?? [];
      const options: PushOptions = { tags };
      if (o.selector) options.selector = o.selector;
      if (o.target) options.target = o.target;
      if (o.persistent) options.persistent = true;
      await mapper.push(o.route, payload, options);
      return EXIT.OK;
    } finally {
      await mapper.close();
    }
  });
}

interface PushFlags {
  url?: string;
  raw?: boolean;
  selector?: SelectorChoice;
  target?: string;
  tag?: string[];
  persistent?: boolean;
  discovery?: number;
}

/** Registers `nanite push`. */
export const registerPush: RegisterCommand = (program: Command, ctx) => {
  program
    .command('push')
    .description('send a payload without waiting for a result (fire-and-forget)')
    .argument('<route>', 'the route, e.g. /simple/echo')
    .argument('[payload]', 'JSON when it parses, else sent as a string')
    .addOption(urlOption())
    .addOption(selectorOption())
    .option('--target <identity>', 'send to this agent only')
    .addOption(tagOption())
    .option('--raw', 'send PAYLOAD as a string even when it parses as JSON')
    .option('--persistent', 'when no agent serves the route, wait for one (offline failsafe) instead of failing')
    .addOption(new Option('--discovery <duration>', `how long to listen for agents before giving up (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addHelpText(
      'after',
      examples([
        'nanite push /simple/echo hello --url amqp://guest:guest@localhost:5672',
        'nanite push /cache/flush --selector all',
        'nanite push /mail/send \'{"to":"fred"}\' --tag eu',
      ]) + '\nExit status: 0 sent, 2 usage, 3 no agent serves the route, 5 broker unreachable, 1 other.\n',
    )
    .action(async (route: string, payload: string | undefined, flags: PushFlags) => {
      ctx.setExit(
        await guarded(ctx.io, () =>
          runPush({ url: urlFor(flags.url, ctx.io), route, payload, raw: flags.raw, selector: flags.selector, target: flags.target, tags: flags.tag ?? [], persistent: flags.persistent, discovery: flags.discovery }, ctx.io),
        ),
      );
    });
};
