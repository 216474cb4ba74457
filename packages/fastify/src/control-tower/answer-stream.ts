/** The NDJSON answers of `POST <prefix>/api/request`, each bounded for a page that stops reading. */
import { PassThrough } from 'node:stream';
import { BurstLog, NaniteError, type BurstLogger } from '@nanite/core';

/** Limits of the {@link AnswerStreams}. */
export interface AnswerStreamsOptions {
  /**
   * Bytes an answer may have waiting for a page that does not read; past it the request is aborted
   * and its response destroyed, rather than letting progress lines pile up in memory. A single line
   * bigger than this still goes out when nothing waits (a big result to a page that reads).
   */
  maxBuffered: number;
  /** Told once per burst of aborted answers. */
  logger?: BurstLogger;
}

/** One answer: `stream` is sent as the response; `write` adds a line; `end` ends it. */
export interface AnswerStream {
  readonly stream: PassThrough;
  /** Writes one line (no-op once the answer is ended or was cut). */
  write(line: string): void;
  end(): void;
}

/** Counts the answers cut because their page stopped reading (one log line per burst). */
export class AnswerStreams {
  private readonly aborted: BurstLog;

  constructor(private readonly options: AnswerStreamsOptions) {
    this.aborted = new BurstLog({
      logger: options.logger,
      message: 'Control Tower: aborted requests whose page stopped reading the answer (maxRequestBuffer; further ones in the next 10 s are only counted)',
    });
  }

  /** Answers cut (their request aborted) because their page stopped reading. */
  get stats(): { aborted: number } {
    return { aborted: this.aborted.count };
  }

  /**
   * A new answer. Past `maxBuffered` bytes waiting, `controller` is aborted (the Nanite requests are
   * cancelled, their handlers see their signal fire), the stream and `response` are destroyed.
   */
  open(response: { destroy(): unknown }, controller: AbortController, detail: object): AnswerStream {
    const stream = new PassThrough();
    const max = this.options.maxBuffered;
    const cut = (waiting: number): void => {
      this.aborted.record({ ...detail, maxRequestBuffer: max, waiting });
      controller.abort(new NaniteError('NANITE_ERR_ABORTED', { message: `The Control Tower page stopped reading the answer (over maxRequestBuffer, ${max} bytes, waiting)` }));
      stream.destroy();
      response.destroy();
    };
    return {
      stream,
      write: (line) => {
        if (stream.destroyed || stream.writableEnded) return;
        const bytes = Buffer.from(line, 'utf8');
        // What the pipe into the socket has not taken yet (it stops taking while the client does not read).
        const waiting = stream.writableLength + stream.readableLength;
        if (waiting > 0 && waiting + bytes.length > max) cut(waiting);
        else stream.write(bytes);
      },
      end: () => {
        if (!stream.destroyed && !stream.writableEnded) stream.end();
      },
    };
  }
}
