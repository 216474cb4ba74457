import { NaniteError } from '../errors';
import pino from 'pino';

/**
 * The logging shape Nanite needs: pino's (and Fastify's and Nest-pino's) method signatures.
 * Pass any pino logger, or an object with these four methods.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** `logger` when it has the four methods Nanite calls, else `NANITE_ERR_INVALID_ARGUMENT` (a missing one would throw later, from a timer). */
export function checkLogger(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  const l = logger as Partial<Record<keyof Logger, unknown>> | null;
  const missing = typeof l === 'object' && l !== null ? (['debug', 'info', 'warn', 'error'] as const).filter((m) => typeof l[m] !== 'function') : ['debug', 'info', 'warn', 'error'];
  if (missing.length > 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `logger must have debug, info, warn and error methods (a pino or Fastify logger fits); missing: ${missing.join(', ')}`, data: { option: 'logger' } });
  return logger as Logger;
}

/** The logger used when none is given: pino at `warn`, or `NANITE_LOG_LEVEL` when set and not empty. */
export function defaultLogger(name: string): Logger {
  return pino({ name, level: process.env.NANITE_LOG_LEVEL || 'warn' });
}
