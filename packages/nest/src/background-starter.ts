/** Retries the start of the agent and mapper with back-off until it succeeds or the app closes. */
import type { NaniteStartupRetry } from './nanite-module.options';

/**
 * Runs `attempt` until it resolves, waiting `initialDelay`, then twice as long each time (up to
 * `maxDelay`) after a failure (the delays are checked by `startupRetryOf()`). The retry timer is
 * deliberately not unref'd: an app waiting for its broker should not exit because nothing else is
 * scheduled. `close()` stops it (idempotent), also from within a failing `attempt` (no retry follows).
 */
export class BackgroundStarter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private delay: number;
  private attempts = 0;
  private readonly maxDelay: number;

  constructor(
    private readonly attempt: () => Promise<void>,
    private readonly onFailure: (err: unknown, retryInMs: number, attempt: number) => void,
    retry: Required<NaniteStartupRetry>,
  ) {
    this.delay = retry.initialDelay;
    this.maxDelay = retry.maxDelay;
  }

  /** Starts the first attempt. */
  start(): void {
    this.run();
  }

  /** True while an attempt is running. */
  get attempting(): boolean {
    return this.running !== undefined;
  }

  /** Stops retrying; resolves when the attempt in progress (if any) has settled. */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.running ?? Promise.resolve();
  }

  private run(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.attempts++;
    this.running = this.attempt().then(
      () => {
        this.running = undefined;
      },
      (err: unknown) => {
        this.running = undefined;
        if (this.closed) return;
        const wait = this.delay;
        this.delay = Math.min(this.delay * 2, this.maxDelay);
        this.onFailure(err, wait, this.attempts);
        this.timer = setTimeout(() => this.run(), wait);
      },
    );
  }
}
