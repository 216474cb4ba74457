/**
 * What an agent remembers about requests so that a re-sent request is never run twice.
 *
 * A mapper re-sends the requests whose fate it cannot know after a reconnect (they may have been
 * lost in a deleted queue, or their result may have been). The agent answers a re-sent request
 * from here: still running → the one result will follow; finished recently → the cached result is
 * sent again.
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

/** Results kept while connected: the replies a broker outage can swallow are the last few sent before it. */
const RECENT = 4_096;
/** Most results kept through an outage (bounds memory during long ones). */
const HELD_MAX = 100_000;

/**
 * Running requests plus recent results: the last {@link RECENT} while connected, and every result
 * from the outage until `window` ms after the reconnect (when re-sent requests arrive).
 */
export class ReplyCache {
  readonly running = new Map<string, RunningRequest>();
  /** Insertion-ordered, oldest first. */
  private readonly results = new Map<string, Finished>();
  private holdUntil = 0;
  private down = false;

  constructor(private readonly window: number) {}

  /** The key of a request: its mapper and id. */
  static key(mapper: string, id: number): string {
    return `${mapper}#${id}`;
  }

  /** A finished request's encoded result, when still remembered for this session. */
  finished(key: string, session: string): Buffer | undefined {
    const f = this.results.get(key);
    return f && f.session === session ? f.bytes : undefined;
  }

  /** Moves a request from running to finished, keeping its encoded result. */
  finish(key: string, session: string, bytes: Buffer): void {
    this.running.delete(key);
    if (this.window <= 0) return;
    this.results.set(key, { session, bytes });
    const holding = this.down || Date.now() < this.holdUntil;
    const max = holding ? HELD_MAX : RECENT;
    while (this.results.size > max) this.results.delete(this.results.keys().next().value!);
  }

  /** The connection went down (true) or came back (false). */
  connection(down: boolean): void {
    this.down = down;
    if (!down) this.holdUntil = Date.now() + this.window;
  }

  /** Forgets everything (link closed). */
  clear(): void {
    this.running.clear();
    this.results.clear();
  }
}
