/** The process surroundings a command runs in, injectable so commands can be tested in-process. */
import { homedir } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/** A stream that may be a terminal. */
export type MaybeTty<S> = S & { isTTY?: boolean };

/** Where a command reads and writes, and the environment it resolves configuration from. */
export interface CliIo {
  readonly stdin: MaybeTty<Readable>;
  readonly stdout: MaybeTty<Writable>;
  readonly stderr: MaybeTty<Writable>;
  /** Environment variables (`NANITE_URL`, `NANITE_LOG_LEVEL`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory searched first for `.naniterc.json` and against which relative paths resolve. */
  readonly cwd: string;
  /** Home directory, searched second for `.naniterc.json`. */
  readonly home: string;
}

/** The real process: its streams, environment, working and home directories. */
export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
  };
}

/** True when the stream is an interactive terminal. */
export function isTty(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}
