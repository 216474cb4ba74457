/**
 * `nanite mapper -i`: an interactive console (node:repl, top-level await) holding a live mapper,
 * like Nanite's `nanite-mapper -i`. Without `-i`, a mapper that logs agents joining and leaving.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import repl, { type REPLServer } from 'node:repl';
import { PassThrough, type Readable } from 'node:stream';
import { redactUrl, type Mapper, type MapperRequestOptions, type PushOptions, type SurveyAnswer, type SurveyOptions, type WaitForAgentsOptions } from '@nanite/core';
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import { isTty, type CliIo } from '../io';
import { createLogger, pickLogFormat, resolveLevel } from '../logger';
import { DEFAULT_DISCOVERY_MS, discoveryPause, openMapper } from '../mapper-session';
import { DURATION_HELP, nonNegativeDuration } from '../duration';
import { logFormatOption, logLevelOption, urlFor, urlOption } from '../options';
import { metricsHostOption, metricsPortOption, startMetricsServer, type MetricsServer } from '../metrics-server';
import { formatAgentsTable } from '../output';
import { keepAlive, STOP_SIGNALS, type SignalSource } from '../signals';

/** Options of {@link runMapper}. */
export interface MapperCommandOptions {
  url: string;
  /** Open the console; otherwise log agent events until SIGINT/SIGTERM. */
  interactive?: boolean | undefined;
  /** How long the console listens for agents before its first prompt (ms). */
  discovery?: number | undefined;
  /** Direct mode: send requests straight to agents that listen on an SP endpoint. */
  direct?: boolean | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  /** Serve Prometheus metrics on this port (`GET /metrics`; 0: any free port). */
  metricsPort?: number | undefined;
  /** Address of the metrics endpoint (default 127.0.0.1). */
  metricsHost?: string | undefined;
}

/** What the console puts in scope, besides the mapper itself. */
export interface ConsoleScope {
  mapper: Mapper;
  request(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<unknown>;
  call(route: string, payload?: unknown, options?: MapperRequestOptions): Promise<unknown>;
  push(route: string, payload?: unknown, options?: PushOptions): Promise<void>;
  /** Every answer until the deadline, as an array (the mapper's `survey()` yields them one by one). */
  survey(route: string, payload?: unknown, options?: SurveyOptions): Promise<SurveyAnswer[]>;
  agents(): ReturnType<Mapper['agents']>;
  waitForAgents(options?: WaitForAgentsOptions): ReturnType<Mapper['waitForAgents']>;
}

/** The console's scope for a mapper. */
export function consoleScope(mapper: Mapper): ConsoleScope {
  return {
    mapper,
    request: (route, payload, options) => mapper.request(route, payload, options),
    call: (route, payload, options) => mapper.call(route, payload, options),
    push: (route, payload, options) => mapper.push(route, payload, options),
    survey: (route, payload, options) => mapper.survey(route, payload, options).collect(),
    agents: () => mapper.agents(),
    waitForAgents: (options) => mapper.waitForAgents(options),
  };
}

const BANNER = `In scope (top-level await works):
  await request(route, payload?, { selector, target, tags, timeout })   e.g. await request('/simple/echo', 'hi')
  await request(route, payload, { selector: 'all' })                     one outcome per agent
  await call(route, payload?)     result with the agent that answered
  await push(route, payload?)     fire-and-forget
  await survey(route, payload?, { timeout })   every agent's answer until the deadline (default 1s)
  agents()                        live agents (.agents prints a table)
  mapper                          the Mapper itself
.exit (or Ctrl+D) closes the mapper and quits.
`;

function startConsole(mapper: Mapper, url: string, io: CliIo): REPLServer {
  const terminal = isTty(io.stdin) && isTty(io.stdout);
  const live = mapper.agents().length;
  io.stdout.write(`nanite console: mapper ${mapper.identity} on ${redactUrl(url)}, ${live} agent${live === 1 ? '' : 's'} live\n${BANNER}`);
  // A script piped in is fed one line at a time (see feedScript); a terminal talks to the REPL directly.
  const input = terminal ? io.stdin : new PassThrough();
  const server = repl.start({ prompt: 'nanite> ', input, output: io.stdout, terminal, useGlobal: false, ignoreUndefined: true });
  Object.assign(server.context, consoleScope(mapper));
  server.defineCommand('agents', {
    help: 'Show the live agents as a table',
    action() {
      this.output.write(`${formatAgentsTable(mapper.agents(), Date.now())}\n`);
      this.displayPrompt();
    },
  });
  if (terminal) {
    server.setupHistory(join(io.home, '.nanite_repl_history'), (err) => {
      if (err) io.stderr.write(`history not kept: ${err.message}\n`);
    });
  } else {
    void feedScript(server, io.stdin, input as PassThrough);
  }
  return server;
}

/**
 * Feeds a piped script to the REPL one line at a time, each once the REPL shows its prompt again.
 * Node's REPL starts evaluating the next line while an awaited one is still running, so
 * `const r = await request(...)` followed by `r` would otherwise see `r` undefined. End of input
 * ends the REPL (closing the mapper) after the last line has finished.
 */
async function feedScript(server: REPLServer, source: Readable, feed: PassThrough): Promise<void> {
  let ready = true;
  let closed = false;
  let wake: (() => void) | undefined;
  const show = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean): void => {
    show(preserveCursor);
    ready = true;
    wake?.();
  };
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  server.once('exit', () => {
    closed = true;
    wake?.();
    lines.close();
  });
  const prompted = (): Promise<void> =>
    ready || closed
      ? Promise.resolve()
      : new Promise((resolve) => {
          wake = resolve;
        });
  for await (const line of lines) {
    await prompted();
    if (closed) return;
    ready = false;
    feed.write(`${line}\n`);
  }
  await prompted();
  feed.end();
}

/**
 * Interactive: starts the console and returns when it exits (the mapper is closed first).
 * Otherwise: logs `agent up` / `agent down` until SIGINT/SIGTERM, then closes the mapper.
 */
export function runMapper(o: MapperCommandOptions, io: CliIo, signals: SignalSource = process): Promise<ExitCode> {
  return guarded(io, async () => {
    const metricsServer: MetricsServer | undefined = o.metricsPort !== undefined ? await startMetricsServer(o.metricsPort, o.metricsHost) : undefined;
    const mapper = await openMapper(o.url, io, DEFAULT_DISCOVERY_MS, o.direct ?? false, metricsServer ? [metricsServer.metrics] : undefined).catch(async (err: unknown) => {
      await metricsServer?.close();
      throw err;
    });
    try {
      if (metricsServer && o.interactive) io.stderr.write(`metrics served at ${metricsServer.url}\n`);
      if (o.interactive) {
        // Let every agent answer the Advertise first, so agents() and selector 'all' see the whole cluster.
        await discoveryPause(o.discovery ?? DEFAULT_DISCOVERY_MS);
        const server = startConsole(mapper, o.url, io);
        await once(server, 'exit');
        return EXIT.OK;
      }
      const logger = createLogger({
        name: 'nanite-mapper',
        level: resolveLevel(o.logLevel, io.env.NANITE_LOG_LEVEL, 'info'),
        format: pickLogFormat(o.logFormat || io.env.NANITE_LOG_FORMAT, io.stdout),
        destination: io.stdout,
      });
      logger.info({ mapper: mapper.identity, url: redactUrl(o.url), ...(metricsServer ? { metrics: metricsServer.url } : {}) }, 'mapper started');
      mapper.on('agent:up', (a) => logger.info({ agent: a.identity, routes: a.routes, tags: a.tags, status: a.status }, 'agent up'));
      mapper.on('agent:down', (a, reason) => logger.info({ agent: a.identity, reason }, 'agent down'));
      mapper.on('agent:suspect', (a) => logger.info({ agent: a.identity }, 'agent suspect (no new work until it pings)'));
      mapper.on('agent:removed', (a) => logger.info({ agent: a.identity, by: a.by }, 'agent removed'));
      mapper.on('agent:update', (a) => logger.debug({ agent: a.identity, status: a.status, inFlight: a.inFlight }, 'agent update'));
      const release = keepAlive();
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          for (const name of STOP_SIGNALS) signals.off(name, stop);
          release();
          resolve();
        };
        for (const name of STOP_SIGNALS) signals.on(name, stop);
      });
      logger.info({ mapper: mapper.identity }, 'mapper stopping');
      return EXIT.OK;
    } finally {
      await mapper.close();
      await metricsServer?.close();
    }
  });
}

/** Registers `nanite mapper`. */
export const registerMapper: RegisterCommand = (program: Command, ctx) => {
  program
    .command('mapper')
    .description('run a mapper: with -i, an interactive console to send requests from')
    .addOption(urlOption())
    .option('-i, --interactive', 'open the console (request, push, call, agents, mapper in scope)')
    .option('--direct', "direct mode: send requests straight to agents listening on an SP endpoint (agent --listen), the broker staying the control plane")
    .addOption(new Option('--discovery <duration>', `with -i: how long to listen for agents before the first prompt (${DURATION_HELP}; default: ${DEFAULT_DISCOVERY_MS}ms)`).argParser(nonNegativeDuration))
    .addOption(logLevelOption('info'))
    .addOption(logFormatOption())
    .addOption(metricsPortOption())
    .addOption(metricsHostOption())
    .addHelpText(
      'after',
      examples([
        'nanite mapper -i --url amqp://guest:guest@localhost:5672',
        'nanite mapper -i --direct --url amqp://localhost   # requests over SP to agents started with --listen',
        'nanite mapper --url amqp://localhost --metrics-port 9465   # log agents; Prometheus scrapes /metrics',
        "  nanite> await request('/simple/echo', 'hi', { selector: 'all' })",
        '  nanite> .agents',
        'nanite mapper --url amqp://localhost      # log agents joining and leaving',
        'echo "await request(\'/simple/echo\')" | nanite mapper -i   # scripted',
      ]),
    )
    .action(async (flags: { url?: string; interactive?: boolean; discovery?: number; direct?: boolean; logLevel?: string; logFormat?: string; metricsPort?: number; metricsHost?: string }, command: Command) => {
      const levelFromFlag = command.getOptionValueSource('logLevel') === 'cli' ? flags.logLevel : undefined;
      ctx.setExit(
        await guarded(ctx.io, () => runMapper({ url: urlFor(flags.url, ctx.io), interactive: flags.interactive, discovery: flags.discovery, direct: flags.direct, logLevel: levelFromFlag, logFormat: flags.logFormat, metricsPort: flags.metricsPort, metricsHost: flags.metricsHost }, ctx.io)),
      );
    });
};
