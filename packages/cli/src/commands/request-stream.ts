/**
 * The streaming side of `nanite request`: `--stream` / `--out FILE` print a result stream (bytes as
 * they are, other chunks as NDJSON lines), `--in FILE` (or `-` for stdin) uploads a file as the
 * request's input stream (docs/streams.md). Files are opened before the request goes out, so a bad
 * path is a usage error (exit 2) and not a stream's unhandled 'error' event.
 */
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NaniteError, type Mapper, type MapperRequestOptions } from '@nanite/core';
import { EXIT, type ExitCode } from '../exit-codes';
import type { CliIo } from '../io';

/** The upload source of `--in FILE`, open; `close()` releases the file if the request did not read it to its end. */
export interface InputFile {
  readonly stream: AsyncIterable<unknown>;
  close(): Promise<void>;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EFBIG: 'file too large',
};

/** `--in a.iso: cannot read /abs/a.iso (no such file or directory)`. */
function fileMessage(flag: string, file: string, path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException | null | undefined;
  const why = (e?.code && REASONS[e.code]) ?? e?.code ?? String(err);
  return `${flag} ${file}: cannot ${flag === '--in' ? 'read' : 'write'} ${path} (${why})`;
}

async function openFile(flag: '--in' | '--out', file: string, io: CliIo): Promise<FileHandle> {
  const path = resolve(io.cwd, file);
  let handle: FileHandle;
  try {
    handle = await open(path, flag === '--in' ? 'r' : 'w');
  } catch (err) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: fileMessage(flag, file, path, err), cause: err });
  }
  // A directory opens for reading on Linux; reading it would fail later (EISDIR), mid-request.
  const stat = await handle.stat().catch(() => undefined);
  if (stat?.isDirectory()) {
    await handle.close();
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: fileMessage(flag, file, path, Object.assign(new Error('EISDIR'), { code: 'EISDIR' })) });
  }
  return handle;
}

/** Opens the upload source of `--in FILE` (`-`: stdin). A missing or unreadable file is `NANITE_ERR_INVALID_ARGUMENT` (exit 2). */
export async function openInput(file: string, io: CliIo): Promise<InputFile> {
  if (file === '-') return { stream: io.stdin, close: () => Promise.resolve() };
  const handle = await openFile('--in', file, io);
  const stream: Readable = handle.createReadStream({ highWaterMark: 256 * 1024 });
  // The request reads it with `for await`, which gets any read error; this only keeps one that comes
  // when nobody reads any more (the request ended) from being an unhandled 'error' event.
  stream.on('error', () => undefined);
  return {
    stream,
    close: async () => {
      if (stream.closed) return;
      const closed = once(stream, 'close');
      stream.destroy();
      await closed;
    },
  };
}

async function* encoded(chunks: AsyncIterable<unknown>): AsyncGenerator<Uint8Array | string> {
  for await (const chunk of chunks) yield chunk instanceof Uint8Array ? chunk : `${JSON.stringify(chunk)}\n`;
}

/**
 * Reads the route's result stream and writes it to `out` (a file, resolved against the working
 * directory, opened before the request goes out) or stdout, waiting for the destination to drain
 * so a slow disk or pipe slows the agent. A file that cannot be opened is `NANITE_ERR_INVALID_ARGUMENT`
 * (exit 2); one that fails while written (a full disk) ends the request and the command (exit 1).
 * A fan-out selector is refused (`NANITE_ERR_INVALID_ARGUMENT`, exit 2).
 */
export async function printStream(mapper: Mapper, route: string, payload: unknown, options: MapperRequestOptions, out: string | undefined, io: CliIo): Promise<ExitCode> {
  if (out === undefined) {
    for await (const bytes of encoded(mapper.stream(route, payload, options))) {
      if (!io.stdout.write(bytes)) await once(io.stdout, 'drain');
    }
    return EXIT.OK;
  }
  const dest: Writable = (await openFile('--out', out, io)).createWriteStream();
  try {
    // pipeline ends the file, or destroys it (closing it) and stops the request on either side's error.
    await pipeline(encoded(mapper.stream(route, payload, options)), dest);
  } catch (err) {
    dest.destroy();
    // The file's own failure (it has a syscall) is said as such; the request's errors go on as they are.
    if ((err as NodeJS.ErrnoException | null)?.syscall === undefined) throw err;
    throw new Error(fileMessage('--out', out, resolve(io.cwd, out), err), { cause: err });
  } finally {
    if (!dest.closed) await once(dest, 'close');
  }
  return EXIT.OK;
}
