/** The signals that stop long-running commands, and where they come from. */

/** SIGINT and SIGTERM: both start a graceful stop. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** One of {@link STOP_SIGNALS}. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Where stop signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/**
 * Holds the process open until the returned function is called. A long-running command waits for
 * a signal, and signal listeners alone do not keep Node running (a memory:// agent has no socket).
 */
export function keepAlive(): () => void {
  const timer = setInterval(() => {}, 2 ** 31 - 1);
  return () => clearInterval(timer);
}
