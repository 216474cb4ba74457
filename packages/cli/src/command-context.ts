/** What every command registration gets, and the error boundary every command runs inside. */
import { NaniteError } from '@nanite/core';
import type { Command } from 'commander';
import { exitCodeFor, type ExitCode } from './exit-codes';
import type { CliIo } from './io';
import { formatError } from './output';

/** Shared by the commands of one `nanite` invocation. */
export interface CommandContext {
  io: CliIo;
  /** Records the exit status of the command that ran. */
  setExit(code: number): void;
}

/** Adds a command to the program. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Runs a command body; a thrown error is printed as `CODE: message` on stderr and becomes its exit status. */
export async function guarded<C extends number>(io: CliIo, body: () => Promise<C>): Promise<C | ExitCode> {
  try {
    return await body();
  } catch (err) {
    io.stderr.write(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}

/** Throws `NANITE_ERR_INVALID_ARGUMENT` unless `route` looks like `/actor/method`. */
export function checkRoute(route: string): void {
  if (!/^\/[^/\s]+(\/[^/\s]+)+$/.test(route)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"${route}" is not a route: routes look like /actor/method, e.g. /simple/echo` });
  }
}

/** The text `--help` appends: a titled list of example invocations. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
