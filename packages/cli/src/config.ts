/**
 * Where the transport URL comes from: `--url`, else `NANITE_URL`, else `.naniterc.json` in the
 * working directory, else `~/.naniterc.json`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NaniteError } from '@nanite/core';

/** Name of the configuration file looked up in the working directory, then the home directory. */
export const CONFIG_FILE = '.naniterc.json';

/** What `.naniterc.json` may hold. */
export interface NaniteRc {
  /** Transport URL, e.g. `amqp://user:pass@host:5672/vhost`. */
  url?: string;
}

/** What {@link resolveUrl} looks at. */
export interface UrlSources {
  /** The `--url` option, when given. */
  flag?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  home: string;
}

/** A resolved URL and where it came from (`--url`, `NANITE_URL` or a file path). */
export interface ResolvedUrl {
  url: string;
  source: string;
}

/** The message given when no source has a URL. */
export const NO_URL_MESSAGE =
  'No transport URL. Pass --url amqp://user:pass@host:5672/vhost (or memory://name), set NANITE_URL, ' +
  `or write {"url": "..."} to ./${CONFIG_FILE} or ~/${CONFIG_FILE}`;

/**
 * Reads a `.naniterc.json`. Missing file: `undefined`. Unreadable, not JSON, or a `url` that is not
 * a string: `NANITE_ERR_INVALID_ARGUMENT` naming the file.
 */
export function readConfigFile(path: string): NaniteRc | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `Cannot read ${path}: ${(err as Error).message}`, cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${path} is not valid JSON: ${(err as Error).message}`, cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `${path} must hold a JSON object like {"url": "amqp://..."}` });
  }
  const url = (parsed as Record<string, unknown>).url;
  if (url !== undefined && typeof url !== 'string') {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: `"url" in ${path} must be a string` });
  }
  return url === undefined ? {} : { url };
}

/** Resolves the transport URL from the first source that has one; throws `NANITE_ERR_INVALID_ARGUMENT` when none does. */
export function resolveUrl(sources: UrlSources): ResolvedUrl {
  if (sources.flag) return { url: sources.flag, source: '--url' };
  const env = sources.env.NANITE_URL;
  if (env) return { url: env, source: 'NANITE_URL' };
  const files = [join(sources.cwd, CONFIG_FILE)];
  const inHome = join(sources.home, CONFIG_FILE);
  if (inHome !== files[0]) files.push(inHome);
  for (const file of files) {
    const url = readConfigFile(file)?.url;
    if (url) return { url, source: file };
  }
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: NO_URL_MESSAGE });
}

