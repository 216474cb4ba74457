/** A minimal server-sent-events reader for tests (fetch + stream parsing), closed by the test. */

/** One event read off the stream; comments (heartbeats) come through as `comment`. */
export interface ReadEvent {
  event: string;
  data: unknown;
  comment?: string;
}

/** Reads `url` as an event stream and lets the test await the events it expects. */
export class SseClient {
  readonly events: ReadEvent[] = [];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  private readonly controller = new AbortController();
  private readonly response: Promise<Response>;
  private waiters: Array<{ match: (e: ReadEvent) => boolean; resolve: (e: ReadEvent) => void }> = [];
  private status = 0;
  private contentType = '';
  private responseHeaders: Headers = new Headers();

  private constructor(url: string, headers: Record<string, string>) {
    this.response = fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: this.controller.signal });
    this.ended = this.read();
  }

  /** Opens the stream; resolves once the response headers arrived. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient(url, headers);
    await client.response.then((r) => {
      client.status = r.status;
      client.contentType = r.headers.get('content-type') ?? '';
      client.responseHeaders = r.headers;
    });
    return client;
  }

  get httpStatus(): number {
    return this.status;
  }

  get type(): string {
    return this.contentType;
  }

  get headers(): Headers {
    return this.responseHeaders;
  }

  /** The first event (from now on, or already read when `includeSeen`) that matches. */
  next(match: (e: ReadEvent) => boolean, includeSeen = false): Promise<ReadEvent> {
    if (includeSeen) {
      const seen = this.events.find(match);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Stops reading (the client goes away). */
  async close(): Promise<void> {
    this.controller.abort();
    await this.ended;
  }

  private async read(): Promise<void> {
    let res: Response;
    try {
      res = await this.response;
    } catch {
      return; // aborted before the headers: nothing to read
    }
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      if (!this.controller.signal.aborted) throw err;
    }
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.push({ event: 'comment', data: undefined, comment: line.slice(1).trim() });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      if (field === 'data') data.push(value);
    }
    if (data.length) this.push({ event, data: JSON.parse(data.join('\n')) as unknown });
  }

  private push(e: ReadEvent): void {
    this.events.push(e);
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.match(e)) w.resolve(e);
      else this.waiters.push(w);
    }
  }
}
