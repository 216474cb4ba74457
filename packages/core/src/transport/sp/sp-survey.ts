/**
 * One survey in flight: the answers that arrive before its deadline, as an async iterable that
 * ends at the deadline (or on cancel()).
 */
import type { SpPipeInfo } from './sp-pipe';

/** One answer to a survey. */
export interface SpSurveyResponse {
  /** The answer body, survey id removed. */
  readonly body: Buffer;
  /** The connection (respondent) it came from. */
  readonly pipe: SpPipeInfo;
}

/** How a survey reports back to its socket. */
export interface SpSurveyOwner {
  surveyEnded(survey: SpSurvey): void;
  /** An answer had to be dropped because `maxResponses` were already buffered. */
  surveyOverflow(pipe: SpPipeInfo): void;
}

/**
 * A survey sent by {@link SpSurveyorSocket.survey}. Iterate it (`for await`) to receive answers
 * as they arrive; the iteration ends at the deadline. Leaving the loop early (break) cancels the
 * survey; answers that arrive after the end are dropped and counted as `late` by the socket.
 */
export class SpSurvey implements AsyncIterable<SpSurveyResponse> {
  private readonly queue: SpSurveyResponse[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<SpSurveyResponse>) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private received = 0;

  /** @internal Created by the surveyor socket. */
  constructor(
    /** The survey id (high bit set) on the wire. */
    readonly id: number,
    /** Epoch ms at which the survey ends. */
    readonly deadline: number,
    /** Number of pipes (respondents) the survey was sent to. */
    readonly sentTo: number,
    private readonly maxResponses: number,
    private readonly owner: SpSurveyOwner,
  ) {
    this.timer = setTimeout(() => this.end(), Math.max(0, deadline - Date.now()));
  }

  /** True once the deadline passed or the survey was cancelled. */
  get done(): boolean {
    return this.ended;
  }

  /** Answers received so far (including those not yet read). */
  get responses(): number {
    return this.received;
  }

  /** Ends the survey now; answers already received can still be read. Idempotent. */
  cancel(): void {
    this.end();
  }

  /** @internal An answer for this survey arrived. */
  push(response: SpSurveyResponse): void {
    if (this.ended) return;
    if (this.queue.length - this.head >= this.maxResponses) {
      this.owner.surveyOverflow(response.pipe);
      return;
    }
    this.received++;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: response, done: false });
      return;
    }
    this.queue.push(response);
  }

  [Symbol.asyncIterator](): AsyncIterator<SpSurveyResponse> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        this.queue.length = this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** Every answer until the deadline, as an array (for callers that do not stream). */
  async collect(): Promise<SpSurveyResponse[]> {
    const out: SpSurveyResponse[] = [];
    for await (const r of this) out.push(r);
    return out;
  }

  private next(): Promise<IteratorResult<SpSurveyResponse>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head === this.queue.length) this.queue.length = this.head = 0;
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.owner.surveyEnded(this);
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }
}
