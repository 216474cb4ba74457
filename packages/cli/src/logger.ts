/** Loggers for the CLI: pino, pretty on a terminal, JSON lines otherwise. */
import type { Writable } from 'node:stream';
import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

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

/** A pino logger writing to `destination`, through pino-pretty for `pretty`. */
export function createLogger(options: CliLoggerOptions): PinoLogger {
  const base = { name: options.name, level: options.level };
  if (options.format === 'pretty') {
    return pino(base, pretty({ destination: options.destination, colorize: (options.destination as { isTTY?: boolean }).isTTY === true, sync: true }));
  }
  return pino(base, options.destination);
}

/** `pretty` when the stream is a terminal, else `json` (unless `requested` says otherwise). */
export function pickLogFormat(requested: string | undefined, stream: { isTTY?: boolean }): LogFormat {
  if (requested === 'pretty' || requested === 'json') return requested;
  return stream.isTTY === true ? 'pretty' : 'json';
}
