/** A result stream as a Node `Readable` of bytes, for `reply.send()` (Fastify pipes it to the HTTP response). */
import { Readable } from 'node:stream';
import type { ResultStream } from '@nanite/core';

/**
 * Bytes pass as they are, strings as UTF-8, other JSON values as NDJSON lines. Destroying the
 * Readable (the HTTP client went away) cancels the stream, which aborts the handler. An error
 * before the first chunk reaches Fastify's error handler (a proper status); an error after it cuts
 * the response, which the client sees as an incomplete body.
 */
export function toByteStream(stream: ResultStream<unknown>): Readable {
  return Readable.from(bytesOf(stream), { objectMode: false });
}

async function* bytesOf(stream: ResultStream<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') yield Buffer.from(chunk);
    else yield Buffer.from(`${JSON.stringify(chunk)}\n`);
  }
}
