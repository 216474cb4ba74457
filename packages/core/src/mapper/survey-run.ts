/**
 * One survey of a mapper: the answers that arrive before its deadline, as an async iterable that
 * ends at the deadline, on `close()`, on its signal, or when the loop reading it breaks.
 */
import type { SurveyAnswer } from './survey.options';

/** How a survey reports back to its owner. */
export interface SurveyRunOwner {
  /** The survey ended (deadline, close, signal or break): forget it and free what it holds. */
  ended(id: string, answered: number): void;
  /** An answer was dropped: `duplicate` (that agent answered already) or `overflow` (`maxAnswers` reached). */
  dropped(reason: 'duplicate' | 'overflow', agent: string): void;
}

/**
 * A survey sent by `mapper.survey()`. `for await (const a of survey)` yields answers as they
 * arrive, one per agent at most, and ends at the deadline; breaking out of the loop ends it.
 */
export class SurveyRun<R = unknown> implements AsyncIterable<SurveyAnswer<R>> {
  private readonly queue: SurveyAnswer<R>[] = [];
  private head = 0;
  /** Readers waiting for the next answer, oldest first (a `next()` called again before the last settled waits its turn). */
  private readonly waiters: Array<(r: IteratorResult<SurveyAnswer<R>>) => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly heard = new Set<string>();
  private ended = false;
  private unlisten: (() => void) | undefined;
  private readonly cleanups: Array<() => void> = [];

  /** @internal Created by the mapper. */
  constructor(
    /** The survey's id on the wire. */
    readonly id: string,
    readonly route: string,
    /** Epoch ms at which the survey ends. */
    readonly deadline: number,
    private readonly maxAnswers: number,
    private readonly owner: SurveyRunOwner,
    signal: AbortSignal | undefined,
  ) {
    // Not unref'd: a `for await` over a survey on memory:// has nothing else keeping the process alive.
    this.timer = setTimeout(() => this.close(), Math.max(0, deadline - Date.now()));
    if (signal) {
      const onAbort = (): void => this.close();
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** True once the survey ended. */
  get done(): boolean {
    return this.ended;
  }

  /** Agents that answered so far (read or not). */
  get answered(): number {
    return this.heard.size;
  }

  /** @internal Runs `fn` when the survey ends (e.g. closes its SP sockets). */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.cleanups.push(fn);
  }

  /** @internal An answer arrived; the first of each agent counts, later ones are dropped. */
  push(answer: SurveyAnswer<R>): void {
    if (this.ended) return;
    if (this.heard.has(answer.agent)) {
      this.owner.dropped('duplicate', answer.agent);
      return;
    }
    if (this.heard.size >= this.maxAnswers) {
      this.owner.dropped('overflow', answer.agent);
      return;
    }
    this.heard.add(answer.agent);
    const w = this.waiters.shift();
    if (w) w({ value: answer, done: false });
    else this.queue.push(answer);
  }

  /** Ends the survey now; answers already received can still be read. Idempotent. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.owner.ended(this.id, this.heard.size);
    for (const fn of this.cleanups.splice(0)) fn();
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<SurveyAnswer<R>> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        this.queue.length = this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Every answer until the deadline, as an array. */
  async collect(): Promise<SurveyAnswer<R>[]> {
    const out: SurveyAnswer<R>[] = [];
    for await (const a of this) out.push(a);
    return out;
  }

  private next(): Promise<IteratorResult<SurveyAnswer<R>>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      if (this.head === this.queue.length) this.queue.length = this.head = 0;
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
