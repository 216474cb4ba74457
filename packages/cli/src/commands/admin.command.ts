/** `nanite admin`: serves the Control Tower (from @nanite/fastify) over a mapper of its own. */
import { NaniteError, redactUrl } from '@nanite/core';
import { naniteControlTower, nanitePlugin } from '@nanite/fastify';
import { Option, type Command } from 'commander';
import Fastify, { LogController } from 'fastify';
import { examples, guarded, type RegisterCommand } from '../command-context';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';
import { createLogger, pickLogFormat, resolveLevel } from '../logger';
import { isLoopbackHost } from '../loopback';
import { logFormatOption, logLevelOption, securityFromEnv, urlFor, urlOption } from '../options';
import { checkPort, listenError, parsePort, PORT_HELP } from '../port';
import { STOP_SIGNALS, type SignalSource } from '../signals';
import { withFailFast } from '../transport-url';

/** Default port of `nanite admin`. */
export const DEFAULT_ADMIN_PORT = 4000;

/** Options of {@link runAdmin}. */
export interface AdminCommandOptions {
  url: string;
  /** TCP port, 0..65535 (0 picks a free one). Default 4000. */
  port?: number | undefined;
  /**
   * Interface to listen on. Default 127.0.0.1 (this machine only). Any other interface needs
   * `authToken` (or `insecureNoAuth`): the page sends requests to the cluster.
   */
  host?: string | undefined;
  /** Where the page lives. Default `/`. */
  prefix?: string | undefined;
  /** Bearer token the Control Tower API requires. */
  authToken?: string | undefined;
  /** Serve a non-loopback `host` without `authToken` (logged as a warning). */
  insecureNoAuth?: boolean | undefined;
  /**
   * Without `authToken`, Host names the page answers besides the loopback ones and `host` itself
   * (DNS-rebinding protection: any other name gets 403), e.g. the machine's name on the network.
   */
  allowedHosts?: readonly string[] | undefined;
  /** Hide the request form (watch only). */
  readOnly?: boolean | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  /** Called with the page's address once listening (tests use it). */
  onListening?: ((address: string) => void) | undefined;
}

/** The usage error for a non-loopback `--host` without a token. */
function openAdminMessage(host: string): string {
  return (
    `Refusing to serve the Control Tower on ${host} without a token: anyone who can reach it could send requests to the cluster. ` +
    'Set NANITE_ADMIN_TOKEN (or --auth-token), keep the default --host 127.0.0.1, or pass --insecure-no-auth'
  );
}

/**
 * Serves the Control Tower until SIGINT/SIGTERM, then closes the server and its mapper and returns
 * {@link EXIT.OK}. An unreachable broker fails at once (exit 5). A non-loopback `host` without
 * `authToken` is refused (exit 2) unless `insecureNoAuth` is set.
 */
export function runAdmin(o: AdminCommandOptions, io: CliIo, signals: SignalSource = process): Promise<ExitCode> {
  return guarded(io, async () => {
    const host = o.host ?? '127.0.0.1';
    const port = o.port ?? DEFAULT_ADMIN_PORT;
    checkPort('--port', port);
    const exposed = !o.authToken && !isLoopbackHost(host);
    if (exposed && !o.insecureNoAuth) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: openAdminMessage(host) });
    const logger = createLogger({
      name: 'nanite-admin',
      level: resolveLevel(o.logLevel, io.env.NANITE_LOG_LEVEL, 'info'),
      format: pickLogFormat(o.logFormat || io.env.NANITE_LOG_FORMAT, io.stdout),
      destination: io.stdout,
    });
    if (exposed) {
      logger.warn(
        { host, allowedHosts: o.allowedHosts ?? [] },
        `--insecure-no-auth: the Control Tower on ${host} has no token; anyone who can reach it can send requests to the cluster. ` +
          'It answers only the Host names localhost, 127.0.0.1, [::1], the --host and each --allowed-host',
      );
    }
    const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
    try {
      const security = securityFromEnv(io.env);
      await app.register(nanitePlugin, { url: withFailFast(o.url, true), ...(security ? { security } : {}) });
      await app.register(naniteControlTower, {
        prefix: o.prefix ?? '/',
        ...(o.authToken ? { auth: o.authToken } : { allowedHosts: [host, ...(o.allowedHosts ?? [])] }),
        ...(o.readOnly ? { readOnly: true } : {}),
      });
      const base = await app.listen({ port, host }).catch((err: unknown) => {
        throw listenError(err, '--port', port, host);
      });
      const page = `${base}${normalizePrefix(o.prefix ?? '/')}/`;
      logger.info({ url: redactUrl(o.url), page, auth: o.authToken ? 'bearer token' : 'none', readOnly: o.readOnly ?? false }, `Control Tower at ${page}`);
      o.onListening?.(page);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          for (const name of STOP_SIGNALS) signals.off(name, stop);
          resolve();
        };
        for (const name of STOP_SIGNALS) signals.on(name, stop);
      });
      logger.info({}, 'closing the Control Tower');
      return EXIT.OK;
    } finally {
      await app.close();
    }
  });
}

/**
 * The page's path as the Control Tower mounts it (`tower/` -> `/tower`, `/` -> ``). Same rule as the
 * private normalizePrefix of @nanite/fastify's control-tower.plugin.ts, which the package does not
 * export; the `--prefix` test checks the logged address against the served page.
 */
function normalizePrefix(prefix: string): string {
  return `/${prefix}`.replace(/\/+/g, '/').replace(/\/$/, '');
}

/** Commander's accumulator of a repeatable option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface AdminFlags {
  url?: string;
  port?: number;
  host?: string;
  prefix?: string;
  authToken?: string;
  insecureNoAuth?: boolean;
  allowedHost?: string[];
  readOnly?: boolean;
  logLevel?: string;
  logFormat?: string;
}

/** Registers `nanite admin`. */
export const registerAdmin: RegisterCommand = (program: Command, ctx) => {
  program
    .command('admin')
    .description('serve the Control Tower: live agents and a request form, in the browser')
    .addOption(urlOption())
    .addOption(new Option('-p, --port <port>', `port to listen on (${PORT_HELP})`).argParser(parsePort).default(DEFAULT_ADMIN_PORT))
    .addOption(new Option('--host <host>', 'interface to listen on (0.0.0.0 for every interface: needs a token)').default('127.0.0.1'))
    .addOption(new Option('--prefix <path>', 'path of the page').default('/'))
    .addOption(new Option('--auth-token <token>', 'require this bearer token on the API; prefer $NANITE_ADMIN_TOKEN (a flag shows in `ps`)'))
    .option('--insecure-no-auth', 'allow a non-loopback --host without a token (anyone reaching the port can send requests)')
    .addOption(new Option('--allowed-host <name>', 'without a token: another Host name the page answers (repeatable; localhost, 127.0.0.1, [::1] and --host always)').argParser(collect))
    .option('--read-only', 'watch only: no request form')
    .addOption(logLevelOption('info'))
    .addOption(logFormatOption())
    .addHelpText(
      'after',
      examples([
        'nanite admin --url amqp://guest:guest@localhost:5672            # http://127.0.0.1:4000/',
        'NANITE_ADMIN_TOKEN=s3cret nanite admin --port 8080 --host 0.0.0.0 --read-only',
      ]),
    )
    .action(async (flags: AdminFlags, command: Command) => {
      const levelFromFlag = command.getOptionValueSource('logLevel') === 'cli' ? flags.logLevel : undefined;
      ctx.setExit(
        await guarded(ctx.io, () =>
          runAdmin(
            {
              url: urlFor(flags.url, ctx.io),
              port: flags.port,
              host: flags.host,
              prefix: flags.prefix,
              authToken: flags.authToken || ctx.io.env.NANITE_ADMIN_TOKEN || undefined,
              insecureNoAuth: flags.insecureNoAuth,
              allowedHosts: flags.allowedHost,
              readOnly: flags.readOnly,
              logLevel: levelFromFlag,
              logFormat: flags.logFormat,
            },
            ctx.io,
          ),
        ),
      );
    });
};
