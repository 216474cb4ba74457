/**
 * TCP ports on the command line: the one parser of every port flag (`admin --port`,
 * `--metrics-port`), and the message for a port the server could not listen on.
 */
import { NaniteError } from '@nanite/core';
import { InvalidArgumentError } from 'commander';

/** What a port flag accepts, for help texts and errors. */
export const PORT_HELP = 'a port number, 0-65535; 0 picks a free one';

/** True for an integer in 0..65535. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535;
}

/** Parses a port flag's value: an integer in 0..65535. Throws commander's InvalidArgumentError (exit 2) for anything else. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !isPort(n)) throw new InvalidArgumentError(`expected ${PORT_HELP}.`);
  return n;
}

/** Throws `NANITE_ERR_INVALID_ARGUMENT` (exit 2) unless `port` is an integer in 0..65535 (for callers from code). */
export function checkPort(flag: string, port: number): void {
  if (!isPort(port)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${flag} ${String(port)}: expected ${PORT_HELP}` });
}

/**
 * The error to report when listening on `host`:`port` failed: a port in use, or one that needs
 * privileges, as an error saying so in one line (exit 1: the machine, not the command line, is in
 * the way); any other error as it is.
 */
export function listenError(err: unknown, flag: string, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new Error(`${flag}: port ${port} is in use on ${host} (EADDRINUSE): stop what holds it, or pick another port (0: any free one)`, { cause: err });
  }
  if (code === 'EACCES') {
    return new Error(`${flag}: port ${port} on ${host} needs privileges (EACCES): pick a port above 1023 (0: any free one)`, { cause: err });
  }
  return err;
}
