/** `nanite agent`: runs an agent hosting the actors of the given modules until SIGINT/SIGTERM. */
import { Agent, redactUrl, type AgentOptions } from '@nanite/core';
import { Option, type Command } from 'commander';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { loadActors } from '../load-actors';
import { withFailFast } from '../transport-url';
import { createLogger, pickLogFormat, resolveLevel } from '../logger';
import { keepAlive, STOP_SIGNALS, type SignalSource } from '../signals';
import { DURATION_HELP, formerlySecondsDuration } from '../duration';
import { logFormatOption, logLevelOption, positiveInt, priorityTier, securityFromEnv, tagOption, urlFor, urlOption } from '../options';
import { metricsHostOption, metricsPortOption, startMetricsServer, type MetricsServer } from '../metrics-server';

/**
 * How long {@link runAgent} waits, after a signal interrupted the connection, for the agent to
 * tear down what its start opened (ms). A second signal stops waiting at once.
 */
export const INTERRUPTED_START_STOP_TIMEOUT = 5000;

/** Options of {@link runAgent}. */
export interface AgentCommandOptions {
  url: string;
  /** Actor module paths, relative to the working directory. */
  actors: readonly string[];
  /** The agent's identity (Nanite's token). */
  token?: string | undefined;
  tags?: readonly string[] | undefined;
  /** Heartbeat period (ms). */
  pingInterval?: number | undefined;
  concurrency?: number | undefined;
  /** Routing tier, 1 (preferred) … 16 (the `priority` selector). Default 8. */
  priority?: number | undefined;
  /** The software version advertised in Register and shown in the roster (none by default). */
  agentVersion?: string | undefined;
  /** How long a stop lets in-flight handlers finish before aborting them (ms). */
  drainTimeout?: number | undefined;
  /** Keep retrying an unreachable broker at start instead of failing (exit 5). */
  waitForBroker?: boolean | undefined;
  /** Serve requests on this SP endpoint too (direct mode): `tcp://host:port` or `ipc:///path`. */
  listen?: string | undefined;
  /** Restarted on purpose after `nanite forget`: ask the mappers to admit this identity again. */
  rejoin?: boolean | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  /** Serve Prometheus metrics on this port (`GET /metrics`; 0: any free port). */
  metricsPort?: number | undefined;
  /** Address of the metrics endpoint (default 127.0.0.1). */
  metricsHost?: string | undefined;
  /** Called once the agent is serving (tests use it to know when to send work). */
  onStarted?: ((agent: Agent) => void) | undefined;
}

/**
 * Runs an agent until the first SIGINT/SIGTERM, then drains it (stop taking work, let in-flight
 * handlers finish, UnRegister, disconnect) and returns {@link EXIT.OK}. A second signal during the
 * drain returns {@link EXIT.INTERRUPTED} at once. A signal while the agent is still connecting stops it
 * (waiting up to {@link INTERRUPTED_START_STOP_TIMEOUT} ms for the start in progress to be torn down,
 * so it never registers nor serves afterwards) and returns {@link EXIT.INTERRUPTED}. Logs go to stdout: pretty on a terminal, JSON lines otherwise.
 */
export function runAgent(o: AgentCommandOptions, io: CliIo, signals: SignalSource = process): Promise<ExitCode> {
  // Signals are counted: the first starts the drain, the second (however soon) cuts it short.
  let received: string | undefined;
  let count = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = (): void => {
      received ??= name;
      count++;
      for (const w of waiters.filter((x) => x.n <= count)) w.resolve();
    };
    signals.on(name, listener);
    return [name, listener] as const;
  });
  const nthSignal = (n: number): Promise<void> => (count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })));
  let metricsServer: MetricsServer | undefined;
  return guarded(io, async () => {
    const logger = createLogger({
      name: 'nanite-agent',
      level: resolveLevel(o.logLevel, io.env.NANITE_LOG_LEVEL, 'info'),
      format: pickLogFormat(o.logFormat || io.env.NANITE_LOG_FORMAT, io.stdout),
      destination: io.stdout,
    });
    const modules = await loadActors(o.actors, io.cwd);
    const options: AgentOptions = { transport: withFailFast(o.url, !o.waitForBroker), actors: modules.flatMap((m) => m.actors), tags: o.tags ?? [], logger };
    if (o.token) options.identity = o.token;
    const security = securityFromEnv(io.env);
    if (security) options.security = security;
    if (o.pingInterval !== undefined) options.pingInterval = o.pingInterval;
    if (o.concurrency !== undefined) options.concurrency = o.concurrency;
    if (o.priority !== undefined) options.priority = o.priority;
    if (o.agentVersion !== undefined) options.version = o.agentVersion;
    if (o.drainTimeout !== undefined) options.drainTimeout = o.drainTimeout;
    if (o.listen !== undefined) options.listen = o.listen;
    if (o.rejoin) options.rejoin = true;
    if (o.metricsPort !== undefined) {
      metricsServer = await startMetricsServer(o.metricsPort, o.metricsHost);
      options.observers = [metricsServer.metrics];
      logger.info({ url: metricsServer.url }, 'metrics served');
    }
    const agent = new Agent(options);
    // Connecting may take long (a broker that is down is retried): a signal meanwhile ends the process.
    const started = await Promise.race([agent.start().then(() => true), nthSignal(1).then(() => false)]);
    if (!started) {
      logger.warn({ identity: agent.identity }, 'stopped before the agent could connect');
      // start() goes on in the background: close() waits for it and closes whatever it opened.
      const stopped = await bounded(agent.close(), INTERRUPTED_START_STOP_TIMEOUT, nthSignal(2));
      if (!stopped) logger.warn({ identity: agent.identity }, 'the interrupted start is still being torn down');
      return EXIT.INTERRUPTED;
    }
    logger.info({ identity: agent.identity, url: redactUrl(o.url), routes: agent.routes(), tags: agent.tags, concurrency: agent.concurrency, pingInterval: agent.pingInterval, ...(agent.endpoint ? { endpoint: agent.endpoint } : {}) }, 'agent started');
    o.onStarted?.(agent);
    const release = keepAlive();
    // The cluster may retire the agent (`nanite forget`): it stops by itself and the process ends.
    let watch: NodeJS.Timeout | undefined;
    const retired = new Promise<void>((resolve) => {
      watch = setInterval(() => !agent.isRunning && resolve(), 500);
    });
    await Promise.race([nthSignal(1), retired]).finally(() => {
      clearInterval(watch);
      release();
    });
    if (received === undefined) {
      await agent.close();
      logger.info({ identity: agent.identity }, 'agent retired by the cluster; exiting');
      return EXIT.OK;
    }
    logger.info({ identity: agent.identity, signal: received, inFlight: agent.inFlight }, 'draining: finishing in-flight requests (signal again to force)');
    const outcome = await Promise.race([agent.close().then(() => 'stopped' as const), nthSignal(2).then(() => 'forced' as const)]);
    if (outcome === 'forced') {
      logger.warn({ identity: agent.identity, inFlight: agent.inFlight }, 'second signal: exiting without finishing the drain');
      return EXIT.INTERRUPTED;
    }
    logger.info({ identity: agent.identity, handled: agent.stats.handled }, 'agent stopped');
    return EXIT.OK;
  }).finally(async () => {
    for (const [name, listener] of listeners) signals.off(name, listener);
    await metricsServer?.close();
  });
}

/**
 * Waits for `work` at most `timeout` ms, or until `cutShort` settles: true when `work` finished
 * first (a rejection counts as finished: the caller only needs it over).
 */
async function bounded(work: Promise<void>, timeout: number, cutShort: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeout);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), expired, cutShort.then(() => false)]);
  } finally {
    clearTimeout(timer);
  }
}

interface AgentFlags {
  url?: string;
  actors: string[];
  token?: string;
  tag?: string[];
  pingInterval?: number;
  concurrency?: number;
  priority?: number;
  agentVersion?: string;
  drainTimeout?: number;
  waitForBroker?: boolean;
  listen?: string;
  rejoin?: boolean;
  logLevel?: string;
  logFormat?: string;
  metricsPort?: number;
  metricsHost?: string;
}

/** Registers `nanite agent`. */
export const registerAgent: RegisterCommand = (program: Command, ctx) => {
  program
    .command('agent')
    .description('run an agent hosting the actors exported by the given modules')
    .addOption(urlOption())
    .requiredOption('-a, --actors <paths...>', 'modules (.js, .cjs, .mjs) exporting @Actor() classes, actor instances or defineActor() results')
    .option('--token <identity>', "the agent's identity (generated when omitted)")
    .addOption(tagOption('a tag requests can select on (repeatable)'))
    .addOption(new Option('--ping-interval <duration>', `heartbeat period (${DURATION_HELP}; default: 5s)`).argParser(formerlySecondsDuration('--ping-interval')))
    .addOption(new Option('--concurrency <n>', 'handlers run at once (default: 64)').argParser(positiveInt))
    .addOption(new Option('--priority <n>', 'routing tier, 1 (preferred) to 16, for --selector priority (default: 8)').argParser(priorityTier))
    .option('--agent-version <version>', 'the software version shown in every mapper\'s roster (`nanite agents --all`, Control Tower); printable ASCII, at most 128 characters; none by default (under an npm script: --agent-version "$npm_package_version")')
    .addOption(new Option('--drain-timeout <duration>', `on SIGINT/SIGTERM, how long in-flight handlers may finish (${DURATION_HELP}; default: 10s)`).argParser(formerlySecondsDuration('--drain-timeout')))
    .option('--wait-for-broker', 'at start, keep retrying a broker that is down instead of exiting with status 5')
    .option('--listen <url>', 'also serve requests on this SP endpoint (tcp://HOST:PORT, port 0 = any; ipc:///path): direct mode for mappers with --direct, and JSON calls from nanomsg/NNG REQ and SURVEYOR peers')
    .option('--rejoin', 'this identity was retired with `nanite forget`: ask the mappers to admit it again')
    .addOption(metricsPortOption())
    .addOption(metricsHostOption())
    .addOption(logLevelOption('info'))
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      examples([
        'nanite agent --url amqp://guest:guest@localhost:5672 --actors examples/simple-agent/simple.js --token fred',
        'nanite agent --actors ./calc.js ./mail.mjs --tag eu --tag gpu --ping-interval 2s --concurrency 8',
        'nanite agent --actors ./calc.js --agent-version 2.4.1   # shown by `nanite agents --all`',
        'nanite agent --actors ./calc.js --listen tcp://0.0.0.0:5555   # then: nngcat --req0 --dial tcp://HOST:5555 --data \'{"route":"/calc/add","payload":[1,2]}\' -A',
        'nanite agent --actors ./calc.js --metrics-port 9464   # Prometheus scrapes http://127.0.0.1:9464/metrics',
      ]) + '\nSIGINT/SIGTERM: graceful drain, exit 0. A second signal exits at once with status 130 (so does a signal while still connecting).\n',
    )
    .action(async (flags: AgentFlags, command: Command) => {
      // --log-level has a default; let $NANITE_LOG_LEVEL win unless the flag was typed.
      const levelFromFlag = command.getOptionValueSource('logLevel') === 'cli' ? flags.logLevel : undefined;
      ctx.setExit(
        await guarded(ctx.io, () =>
          runAgent(
            {
              url: urlFor(flags.url, ctx.io),
              actors: flags.actors,
              token: flags.token,
              tags: flags.tag ?? [],
              pingInterval: flags.pingInterval,
              concurrency: flags.concurrency,
              priority: flags.priority,
              agentVersion: flags.agentVersion,
              drainTimeout: flags.drainTimeout,
              waitForBroker: flags.waitForBroker,
              listen: flags.listen,
              rejoin: flags.rejoin,
              logLevel: levelFromFlag,
              logFormat: flags.logFormat,
              metricsPort: flags.metricsPort,
              metricsHost: flags.metricsHost,
            },
            ctx.io,
          ),
        ),
      );
    });
};
