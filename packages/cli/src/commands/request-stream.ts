/**
 * The streaming side of `nanite request`: `--stream` / `--out FILE` print a result stream (bytes as
 * they are, other chunks as NDJSON lines), `--in FILE` (or `-` for stdin) uploads a file as the
 * request's input stream (docs/streams.md).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Mapper, MapperRequestOptions } from '@nanite/core';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';

/** The upload source of `--in FILE` (`-`: stdin). */
export function inputStream(file: string, io: CliIo): AsyncIterable<unknown> {
  return file === '-' ? io.stdin : createReadStream(resolve(io.cwd, file), { highWaterMark: 256 * 1024 });
}

/**
 * Reads the route's result stream and writes it to `out` (a file, resolved against the working
 * directory) or stdout, waiting for the destination to drain so a slow disk or pipe slows the agent.
 * A fan-out selector is refused (`NANITE_ERR_INVALID_ARGUMENT`, exit 2).
 */
export async function printStream(mapper: Mapper, route: string, payload: unknown, options: MapperRequestOptions, out: string | undefined, io: CliIo): Promise<ExitCode> {
  const dest: Writable = out === undefined ? io.stdout : createWriteStream(resolve(io.cwd, out));
  try {
    for await (const chunk of mapper.stream(route, payload, options)) {
      const bytes = chunk instanceof Uint8Array ? chunk : `${JSON.stringify(chunk)}\n`;
      if (!dest.write(bytes)) await once(dest, 'drain');
    }
  } finally {
    if (dest !== io.stdout) {
      dest.end();
      await once(dest, 'close');
    }
  }
  return EXIT.OK;
}
