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

/** The logger used when none is given: pino at `warn`, or `NANITE_LOG_LEVEL` when set and not empty. */
export function defaultLogger(name: string): Logger {
  return pino({ name, level: process.env.NANITE_LOG_LEVEL || 'warn' });
}
