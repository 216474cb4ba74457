/**
 * What an agent remembers about requests so that a re-sent request is never run twice.
 *
 * A mapper re-sends the requests whose fate it cannot know after a reconnect (they may have been
 * lost in a deleted queue, or their result may have been). The agent answers a re-sent request
 * from here: still running → the one result will follow; finished recently → the cached result is
 * sent again. Results are kept for at least `window` ms, and everything finished around an outage
 * is kept until `window` ms after the reconnect.
 */

/** A request the agent is running. */
export interface RunningRequest {
  /** The sending mapper link's session (a mapper restarted under the same identity has another). */
  session: string;
  /** Direct reply-to address of the latest delivery, when the mapper gave one. */
  address: string | undefined;
}

interface Finished {
  session: string;
  bytes: Buffer;
}

/** Most results one generation holds; past that it rotates early (bounds memory during long outages). */
const MAX_GENERATION = 100_000;

/** Running requests plus two generations of recent results. */
export class ReplyCache {
  readonly running = new Map<string, RunningRequest>();
  private current = new Map<string, Finished>();
  private previous = new Map<string, Finished>();
  private since = Date.now();
  private holdUntil = 0;
  private down = false;

  constructor(private readonly window: number) {}

  /** The key of a request: its mapper and id. */
  static key(mapper: string, id: number): string {
    return `${mapper}#${id}`;
  }

  /** A finished request's encoded result, when still remembered for this session. */
  finished(key: string, session: string): Buffer | undefined {
    const f = this.current.get(key) ?? this.previous.get(key);
    return f && f.session === session ? f.bytes : undefined;
  }

  /** Moves a request from running to finished, keeping its encoded result. */
  finish(key: string, session: string, bytes: Buffer): void {
    this.running.delete(key);
    if (this.window <= 0) return;
    this.rotate();
    this.current.set(key, { session, bytes });
  }

  /** The connection went down (true) or came back (false). */
  connection(down: boolean): void {
    this.down = down;
    if (!down) this.holdUntil = Date.now() + this.window;
  }

  /** Forgets everything (link closed). */
  clear(): void {
    this.running.clear();
    this.current.clear();
    this.previous.clear();
  }

  private rotate(): void {
    const now = Date.now();
    const full = this.current.size >= MAX_GENERATION;
    if (!full && (this.down || now < this.holdUntil || now - this.since < this.window)) return;
    this.previous = this.current;
    this.current = new Map();
    this.since = now;
  }
}
