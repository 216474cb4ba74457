/**
 * Durations on the command line: every duration flag takes `500ms`, `5s`, `2m` or a bare number of
 * milliseconds, so `--timeout 2000`, `--timeout 2s` and `--ping-interval 2s` all read the same way.
 */
import { InvalidArgumentError } from 'commander';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** What a duration flag accepts, for help texts and errors. */
export const DURATION_HELP = '500ms, 5s, 2m, or a number of ms';

/**
 * Parses `500ms`, `1.5s`, `2m` or a bare number of milliseconds into whole milliseconds (at least
 * 1 for a value above 0). Throws commander's InvalidArgumentError (exit 2) for anything else.
 */
export function parseDuration(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration (${DURATION_HELP}).`);
  const amount = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms') as keyof typeof UNIT_MS];
  if (!Number.isSafeInteger(Math.round(amount))) throw new InvalidArgumentError('the duration is too long.');
  return amount > 0 ? Math.max(1, Math.round(amount)) : 0;
}

/** A duration of 0 or more ms (0 meaning "none" where the flag says so). */
export function nonNegativeDuration(value: string): number {
  return parseDuration(value);
}

/** A duration above 0, for flags where 0 would leave no time at all (`survey --deadline`). */
export function positiveDuration(value: string): number {
  const ms = parseDuration(value);
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration above 0 (${DURATION_HELP}).`);
  return ms;
}

/**
 * A duration above 0, for flags that took seconds in earlier releases (`--ping-interval 5` meant
 * five seconds). A bare number below `floorMs` is refused with the unit spelled out, so an old
 * command line fails loudly instead of pinging every 5 ms.
 */
export function formerlySecondsDuration(flag: string, floorMs = 1_000): (value: string) => number {
  return (value) => {
    const ms = positiveDuration(value);
    if (/^\s*\d+(?:\.\d+)?\s*$/.test(value) && ms < floorMs) {
      throw new InvalidArgumentError(
        `${flag} takes milliseconds now (it took seconds before): ${value.trim()} would be ${value.trim()} ms. ` +
          `Write ${value.trim()}s for ${value.trim()} seconds, or ${value.trim()}ms if you really mean milliseconds.`,
      );
    }
    return ms;
  };
}
