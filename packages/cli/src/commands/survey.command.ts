/** `nanite survey ROUTE [PAYLOAD]`: ask every agent serving ROUTE, print the answers as they arrive. */
import { NaniteError, type Mapper, type SurveyAnswer, type SurveyOptions } from '@nanite/core';
import { Option, type Command } from 'commander';
import { checkRoute, examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import { isTty, type CliIo } from '../io';
import { openMapper } from '../mapper-session';
import { DURATION_HELP, positiveDuration } from '../duration';
import { collect, tagOption, urlFor, urlOption } from '../options';
import { formatError, formatJson } from '../output';
import { parsePayload } from '../payload';
import { escapeControls } from '../terminal-text';

/** Default `--deadline` (ms). */
export const DEFAULT_SURVEY_DEADLINE_MS = 1_000;

/** Options of {@link runSurvey}. */
export interface SurveyCommandOptions {
  url: string;
  route: string;
  payload?: string | undefined;
  raw?: boolean | undefined;
  /** How long the survey listens (ms, above 0). */
  deadline?: number | undefined;
  tags?: readonly string[] | undefined;
  /** SP endpoints (tcp://, ipc://) surveyed directly besides the broker. */
  endpoints?: readonly string[] | undefined;
}

/**
 * Surveys ROUTE and prints each answer as it arrives: one JSON object per line when piped
 * (`{"agent","ok":true,"result"}` or `{"agent","ok":false,"error":{code,message,data?}}`), `agent:
 * result` lines on a terminal. Exit 0 when every answer is a result, {@link EXIT.PARTIAL} when some
 * agent answered with an error, {@link EXIT.NO_AGENT} when nobody answered before the deadline.
 */
export function runSurvey(o: SurveyCommandOptions, io: CliIo): Promise<ExitCode> {
  return guarded(io, async () => {
    checkRoute(o.route);
    if (o.deadline !== undefined && !(Number.isFinite(o.deadline) && o.deadline > 0)) {
      throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `--deadline ${String(o.deadline)}: a survey needs a deadline above 0 ms to hear any answer` });
    }
    const payload = parsePayload(o.payload, { raw: o.raw });
    // No discovery window: a survey goes to every agent by the broker's fanout, known or not.
    const mapper = await openMapper(o.url, io, 0);
    try {
      return await survey(mapper, o, payload, io);
    } finally {
      await mapper.close();
    }
  });
}

async function survey(mapper: Mapper, o: SurveyCommandOptions, payload: unknown, io: CliIo): Promise<ExitCode> {
  const pretty = isTty(io.stdout);
  const options: SurveyOptions = { timeout: o.deadline ?? DEFAULT_SURVEY_DEADLINE_MS, tags: o.tags ?? [] };
  if (o.endpoints && o.endpoints.length > 0) options.endpoints = o.endpoints;
  let answers = 0;
  let failed = 0;
  for await (const a of mapper.survey(o.route, payload, options)) {
    answers++;
    if (!a.ok) failed++;
    io.stdout.write(pretty ? readable(a) : `${formatJson(jsonOf(a), false)}\n`);
  }
  if (answers === 0) {
    io.stderr.write(`no agent answered ${o.route} within ${options.timeout} ms\n`);
    return EXIT.NO_AGENT;
  }
  return failed > 0 ? EXIT.PARTIAL : EXIT.OK;
}

function jsonOf(a: SurveyAnswer): object {
  if (a.ok) return { agent: a.agent, ok: true, result: a.result === undefined ? null : a.result };
  const error: { code: string; message: string; data?: unknown } = { code: a.error.code, message: a.error.message };
  if (a.error.data !== undefined) error.data = a.error.data;
  return { agent: a.agent, ok: false, error };
}

function readable(a: SurveyAnswer): string {
  const agent = escapeControls(a.agent);
  return a.ok ? `${agent}: ${formatJson(a.result, false)}\n` : `${agent}: ${formatError(a.error)}\n`;
}

interface SurveyFlags {
  url?: string;
  raw?: boolean;
  deadline?: number;
  tag?: string[];
  endpoint?: string[];
}

/** Registers `nanite survey`. */
export const registerSurvey: RegisterCommand = (program: Command, ctx) => {
  program
    .command('survey')
    .description('ask every agent serving a route (agents not yet known too) and print their answers as they arrive')
    .argument('<route>', 'the route, e.g. /discovery/who')
    .argument('[payload]', 'JSON when it parses, else sent as a string')
    .addOption(urlOption())
    .addOption(new Option('--deadline <duration>', `how long to collect answers, above 0 (${DURATION_HELP}; default: ${DEFAULT_SURVEY_DEADLINE_MS}ms)`).argParser(positiveDuration))
    .addOption(tagOption())
    .addOption(new Option('--endpoint <url>', 'also survey this SP endpoint directly (tcp://host:port, ipc:///path; repeatable)').argParser(collect))
    .option('--raw', 'send PAYLOAD as a string even when it parses as JSON')
    .addHelpText(
      'after',
      examples([
        'nanite survey /discovery/who billing --deadline 500ms',
        'nanite survey /discovery/who billing | jq -r "select(.ok) | .result.address"',
        'nanite survey /simple/echo hi --endpoint tcp://10.0.0.5:5555 --deadline 2s',
      ]) + '\nOutput: one JSON object per answer and line when piped ({"agent","ok","result"} or {"agent","ok":false,"error"}),\n"agent: result" lines on a terminal.\nExit status: 0 every answer a result, 6 some agent answered an error, 3 nobody answered in time,\n2 usage, 5 broker unreachable.\n',
    )
    .action(async (route: string, payload: string | undefined, flags: SurveyFlags) => {
      ctx.setExit(
        await guarded(ctx.io, () =>
          runSurvey({ url: urlFor(flags.url, ctx.io), route, payload, raw: flags.raw, deadline: flags.deadline, tags: flags.tag ?? [], endpoints: flags.endpoint ?? [] }, ctx.io),
        ),
      );
    });
};
