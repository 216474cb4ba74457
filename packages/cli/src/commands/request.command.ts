/** `nanite request ROUTE [PAYLOAD]`: one request, its result as JSON on stdout. */
import type { Mapper, MapperRequestOptions } from '@nanite/core';
import { Option, type Command } from 'commander';
import { checkRoute, examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import { isTty, type CliIo } from '../io';
import { DEFAULT_DISCOVERY_MS, openMapper } from '../mapper-session';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { selectorOption, tagOption, urlFor, urlOption, type SelectorChoice } from '../options';
import { fanOutView, formatError, formatJson } from '../output';
import { parsePayload } from '../payload';
import { escapeControls } from '../terminal-text';
import { openInput, printStream } from './request-stream';

/** Options of {@link runRequest}. */
export interface RequestCommandOptions {
  url: string;
  route: string;
  /** The PAYLOAD argument as typed (see {@link parsePayload}). */
  payload?: string | undefined;
  /** Send PAYLOAD as a string even when it parses as JSON. */
  raw?: boolean | undefined;
  selector?: SelectorChoice | undefined;
  target?: string | undefined;
  tags?: readonly string[] | undefined;
  /** Milliseconds before `NANITE_ERR_TIMEOUT` (default: the mapper's, 30 000). */
  timeout?: number | undefined;
  /** For `--selector all`: how long to listen for agents before fanning out (ms). */
  discovery?: number | undefined;
  /** Print intermediate results (progress) on stderr. */
  progress?: boolean | undefined;
  /** Read the result as a stream: bytes as they are, other chunks as NDJSON lines. */
  stream?: boolean | undefined;
  /** Write the (streamed) result to this file instead of stdout; implies `stream`. */
  out?: string | undefined;
  /** Upload this file (`-`: stdin) as the request's input stream. */
  in?: string | undefined;
}

/**
 * Sends one request and prints its result as JSON on stdout. For `selector: 'all'`, prints an object
 * keyed by agent identity and returns {@link EXIT.PARTIAL} when any agent failed. Errors go to stderr
 * as `CODE: message`; the exit status follows {@link EXIT}.
 */
export function runRequest(o: RequestCommandOptions, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    checkRoute(o.route);
    const payload = parsePayload(o.payload, { raw: o.raw });
    // Opened first: a missing --in file is a usage error before anything connects.
    const input = o.in !== undefined ? await openInput(o.in, io) : undefined;
    try {
      const mapper = await openMapper(o.url, io, o.discovery ?? DEFAULT_DISCOVERY_MS);
      try {
        return await send(mapper, o, payload, input?.stream, io);
      } finally {
        await mapper.close();
      }
    } finally {
      await input?.close();
    }
  });
}

async function send(mapper: Mapper, o: RequestCommandOptions, payload: unknown, input: AsyncIterable<unknown> | undefined, io: CliIo): Promise<ExitCode> {
  const pretty = isTty(io.stdout);
  const options: MapperRequestOptions = { tags: o.tags ?? [] };
  if (o.selector) options.selector = o.selector;
  if (o.target) options.target = o.target;
  if (o.timeout !== undefined) options.timeout = o.timeout;
  if (o.progress) options.onProgress = (key, value, agent) => io.stderr.write(`progress ${escapeControls(agent)} ${escapeControls(key)}: ${formatJson(value, false)}\n`);
  if (input !== undefined) options.stream = input;
  if (o.stream || o.out !== undefined) return printStream(mapper, o.route, payload, options, o.out, io);
  if (o.selector === 'all') {
    // The mapper holds the fan-out until its discovery window closed, so every agent is in it.
    const fan = await mapper.request(o.route, payload, { ...options, selector: 'all' });
    const { view, failed } = fanOutView(fan);
    io.stdout.write(`${formatJson(view, pretty)}\n`);
    for (const [identity, err] of failed) io.stderr.write(`${escapeControls(identity)}: ${formatError(err)}\n`);
    return failed.length ? EXIT.PARTIAL : EXIT.OK;
  }
  const result = await mapper.request(o.route, payload, options);
  io.stdout.write(`${formatJson(result, pretty)}\n`);
  return EXIT.OK;
}

interface RequestFlags {
  url?: string;
  raw?: boolean;
  selector?: SelectorChoice;
  target?: string;
  tag?: string[];
  timeout?: number;
  discovery?: number;
  progress?: boolean;
  stream?: boolean;
  out?: string;
  in?: string;
}

/** Registers `nanite request`. */
export const registerRequest: RegisterCommand = (program: Command, ctx) => {
  program
    .command('request')
    .description('send a request and print its result as JSON')
    .argument('<route>', 'the route, e.g. /simple/echo')
    .argument('[payload]', 'JSON when it parses (42, true, {"a":1}, "\\"quoted\\""), else sent as a string')
    .addOption(urlOption())
    .addOption(selectorOption())
    .option('--target <identity>', 'send to this agent only')
    .addOption(tagOption())
    .addOption(new Option('--timeout <duration>', `fail with NANITE_ERR_TIMEOUT after this long (${DURATION_HELP}; default: 30s)`).argParser(nonNegativeDuration))
    .option('--raw', 'send PAYLOAD as a string even when it parses as JSON')
    .option('--progress', 'print intermediate results on stderr')
    .option('--stream', 'read the result as a stream: bytes as they are, other chunks as NDJSON lines')
    .option('--out <file>', 'write the streamed result to FILE (implies --stream)')
    .option('--in <file>', 'upload FILE (- for stdin) as the request\'s input stream')
    .addOption(new Option('--discovery <duration>', `with --selector all: how long to listen for agents first (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addHelpText(
      'after',
      examples([
        'nanite request /simple/echo --url amqp://guest:guest@localhost:5672',
        'nanite request /simple/echo \'{"hello":"world"}\'',
        'nanite request /simple/echo hi --selector all',
        'nanite request /simple/echo hi --target fred --timeout 2s',
        "NANITE_URL=amqp://localhost nanite request /calc/add '[1,2]' --tag eu",
        'nanite request /files/load \'{"name":"a.iso"}\' --out a.iso',
        'nanite request /files/save \'{"name":"a.iso"}\' --in a.iso',
      ]) + '\nExit status: 0 ok, 1 handler or other error, 2 usage (bad option, malformed payload, bad URL),\n3 no agent serves the route, 4 timeout, 5 broker unreachable, 6 some agents failed (--selector all).\n',
    )
    .action(async (route: string, payload: string | undefined, flags: RequestFlags) => {
      ctx.setExit(
        await guarded(ctx.io, () =>
          runRequest({ url: urlFor(flags.url, ctx.io), route, payload, raw: flags.raw, selector: flags.selector, target: flags.target, tags: flags.tag ?? [], timeout: flags.timeout, discovery: flags.discovery, progress: flags.progress, stream: flags.stream, out: flags.out, in: flags.in }, ctx.io),
        ),
      );
    });
};
