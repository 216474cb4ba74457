/** Exit statuses of the `nanite` command, one per kind of failure so scripts can branch on them. */
import { NaniteError, type NaniteErrorCode } from '@nanite/core';

/** Every exit status `nanite` uses (documented in docs/cli.md). */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** Any other failure: the handler threw, the agent went away, an unexpected error. */
  FAILURE: 1,
  /** Bad usage: unknown option, bad value, malformed payload or one the wire cannot carry, missing or unsupported URL, bad actor module. */
  USAGE: 2,
  /** No live agent serves the route (or none matches the tags / target). */
  NO_AGENT: 3,
  /** The request did not answer within its timeout. */
  TIMEOUT: 4,
  /** The broker could not be reached, refused the credentials, or the connection failed. */
  TRANSPORT: 5,
  /** `--selector all`: at least one agent answered with an error (the others' results are printed). */
  PARTIAL: 6,
  /** A first SIGINT/SIGTERM while an agent was still connecting, or a second one that cut a graceful drain short. */
  INTERRUPTED: 130,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Partial<Record<NaniteErrorCode, ExitCode>> = {
  NANITE_ERR_INVALID_ARGUMENT: EXIT.USAGE,
  NANITE_ERR_UNSUPPORTED_TRANSPORT: EXIT.USAGE,
  NANITE_ERR_PAYLOAD: EXIT.USAGE,
  NANITE_ERR_NO_AGENT: EXIT.NO_AGENT,
  NANITE_ERR_UNKNOWN_ROUTE: EXIT.NO_AGENT,
  NANITE_ERR_TIMEOUT: EXIT.TIMEOUT,
  NANITE_ERR_TRANSPORT: EXIT.TRANSPORT,
  NANITE_ERR_TRANSPORT_AUTH: EXIT.TRANSPORT,
  NANITE_ERR_NOT_CONNECTED: EXIT.TRANSPORT,
  NANITE_ERR_BUFFER_FULL: EXIT.TRANSPORT,
};

/** The exit status for an error: by its Nanite code, {@link EXIT.FAILURE} for anything else. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof NaniteError) return BY_CODE[err.code] ?? EXIT.FAILURE;
  return EXIT.FAILURE;
}
