/** Loggers for the CLI: pino, pretty on a terminal, JSON lines otherwise. */
import { Writable } from 'node:stream';
import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { NaniteError } from '@nanite/core';
import { escapeJsonControls, escapePrettyControls } from './terminal-text';

/** How log lines look. */
export type LogFormat = 'pretty' | 'json';

/** Options of {@link createLogger}. */
export interface CliLoggerOptions {
  /** pino level name: trace, debug, info, warn, error, fatal, silent. */
  level: string;
  format: LogFormat;
  destination: Writable;
  /** The `name` field of every line. */
  name: string;
}

/** Log levels pino accepts. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * The log level: the flag, else `NANITE_LOG_LEVEL` (when not empty), else `fallback`. Throws
 * `NANITE_ERR_INVALID_ARGUMENT` for a level pino does not know.
 */
export function resolveLevel(flag: string | undefined, env: string | undefined, fallback: string): string {
  const level = flag || env || fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Unknown log level "${level}" (expected one of ${LOG_LEVELS.join(', ')})` });
  }
  return level;
}

/**
 * A pino logger writing to `destination`, through pino-pretty for `pretty`. Log lines carry what
 * peers chose (identities, routes, error messages): what a terminal would act on is escaped on
 * the way out (terminal-text.ts): C1 and bidi characters in JSON lines (JSON escapes only C0), and
 * every control but pino-pretty's own colours in pretty text.
 */
export function createLogger(options: CliLoggerOptions): PinoLogger {
  const base = { name: options.name, level: options.level };
  const destination = options.destination;
  if (options.format === 'pretty') {
    const colorize = (destination as { isTTY?: boolean }).isTTY === true;
    return pino(base, pretty({ destination: escaping(destination, (line) => escapePrettyControls(line, colorize)), colorize, sync: true }));
  }
  return pino(base, escaping(destination, escapeJsonControls));
}

/** `destination`, each write passed through `escape` first. */
function escaping(destination: Writable, escape: (text: string) => string): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      destination.write(escape(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
      done();
    },
  });
}

/** `pretty` when the stream is a terminal, else `json` (unless `requested` says otherwise). */
export function pickLogFormat(requested: string | undefined, stream: { isTTY?: boolean }): LogFormat {
  if (requested === 'pretty' || requested === 'json') return requested;
  return stream.isTTY === true ? 'pretty' : 'json';
}
