/** Option parsers and option definitions shared by the commands. */
import { AEAD_CHOICES, isAeadChoice, NaniteError, type SecurityOptions } from '@nanite/core';
import { InvalidArgumentError, Option } from 'commander';
import type { CliIo } from './io';
import { resolveUrl } from './config';
import { LOG_LEVELS } from './logger';

/** Selectors a command may name. */
export const SELECTOR_NAMES = ['least_loaded', 'all', 'random', 'round_robin', 'priority'] as const;

/** One of {@link SELECTOR_NAMES}. */
export type SelectorChoice = (typeof SELECTOR_NAMES)[number];

/** Collects a repeatable option (`--tag a --tag b`) into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses a positive integer option value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

/** Parses a routing tier (`--priority`): an integer in 1..16. */
export function priorityTier(value: string): number {
  const n = positiveInt(value);
  if (n > 16) throw new InvalidArgumentError('expected an integer from 1 (preferred) to 16.');
  return n;
}

/** `-u, --url <url>`. */
export function urlOption(): Option {
  return new Option('-u, --url <url>', 'transport URL, e.g. amqp://user:pass@host:5672/vhost (default: $NANITE_URL, then .naniterc.json)');
}

/** `-s, --selector <name>`. */
export function selectorOption(): Option {
  return new Option('-s, --selector <name>', 'how to pick the agent').choices(SELECTOR_NAMES);
}

/** `-t, --tag <tag>` (repeatable). */
export function tagOption(help = 'only agents carrying this tag (repeatable)'): Option {
  return new Option('-t, --tag <tag>', help).argParser(collect);
}

/** `--log-level <level>`. */
export function logLevelOption(defaultLevel: string): Option {
  return new Option('--log-level <level>', 'log level (or $NANITE_LOG_LEVEL)').choices(LOG_LEVELS).default(defaultLevel);
}

/** `--log-format <format>`. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', 'log line format (default: pretty on a terminal, JSON otherwise)').choices(['pretty', 'json']);
}

/** The URL for a command, from its `--url` or the fallbacks (see {@link resolveUrl}). */
export function urlFor(flag: string | undefined, io: CliIo): string {
  return resolveUrl({ flag, env: io.env, cwd: io.cwd, home: io.home }).url;
}

/** `--cert`, `--key`, `--ca`, `--aead`: secure mode for every command (or $NANITE_CERT, $NANITE_KEY, $NANITE_CA, $NANITE_AEAD). */
export function securityOptions(): Option[] {
  return [
    new Option('--cert <file>', 'secure mode: this endpoint\'s certificate (or $NANITE_CERT)'),
    new Option('--key <file>', 'secure mode: its private key (or $NANITE_KEY)'),
    new Option('--ca <file>', 'secure mode: the trusted CA certificate(s) (or $NANITE_CA)'),
    new Option('--aead <cipher>', 'secure mode: what seals packets, auto (ChaCha20-Poly1305 via sodium-native for small ones) or aes-256-gcm (or $NANITE_AEAD)').choices([...AEAD_CHOICES]),
  ];
}

/** The `security` option from $NANITE_CERT / $NANITE_KEY / $NANITE_CA (which `--cert --key --ca` set); undefined when none is set. */
export function securityFromEnv(env: Readonly<Record<string, string | undefined>>): SecurityOptions | undefined {
  const cert = env.NANITE_CERT || undefined;
  const key = env.NANITE_KEY || undefined;
  const ca = env.NANITE_CA || undefined;
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key || !ca) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'secure mode needs all three of --cert, --key and --ca (or $NANITE_CERT, $NANITE_KEY, $NANITE_CA)' });
  const aead = env.NANITE_AEAD || undefined;
  if (aead === undefined) return { cert, key, ca };
  if (!isAeadChoice(aead)) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `$NANITE_AEAD must be one of ${AEAD_CHOICES.join(', ')}, not ${JSON.stringify(aead)}` });
  return { cert, key, ca, aead };
}
