/**
 * The outcome of one `mapper.request()`, as the dispatcher reports it. An in-process agent with a
 * synchronous handler answers while the request is being sent (transport/memory/local-calls.ts):
 * then the caller gets an already settled promise (`Promise.resolve` / `Promise.reject`) and no
 * promise executor, resolving functions or callbacks object is made for it. Otherwise the promise
 * is made once the dispatch returned, and settles when the dispatcher reports.
 */
import type { NaniteError } from '../errors';
import type { FanOut } from './mapper.options';
import type { PendingCallbacks } from './pending-request';

/** Where a fan-out's gathered outcomes go. */
export interface FanOutSink {
  gathered(outcomes: FanOut<unknown>): void;
}

const PENDING = 0;
const RESOLVED = 1;
const REJECTED = 2;

/** See the module comment. Methods, not arrow properties: the dispatcher calls them on this object. */
export class RequestReply implements PendingCallbacks, FanOutSink {
  private state: typeof PENDING | typeof RESOLVED | typeof REJECTED = PENDING;
  private value: unknown = undefined;
  private onResolve: ((value: unknown) => void) | undefined = undefined;
  private onReject: ((error: unknown) => void) | undefined = undefined;

  resolve(result: unknown): void {
    if (this.onResolve !== undefined) this.onResolve(result);
    else if (this.state === PENDING) {
      this.state = RESOLVED;
      this.value = result;
    }
  }

  reject(error: NaniteError): void {
    if (this.onReject !== undefined) this.onReject(error);
    else if (this.state === PENDING) {
      this.state = REJECTED;
      this.value = error;
    }
  }

  gathered(outcomes: FanOut<unknown>): void {
    this.resolve(outcomes);
  }

  /** The caller's promise; call once, after the dispatch returned. */
  promise<R>(): Promise<R> {
    if (this.state === RESOLVED) return Promise.resolve(this.value as R);
    if (this.state === REJECTED) return Promise.reject(this.value);
    return new Promise<R>((resolve, reject) => {
      this.onResolve = resolve as (value: unknown) => void;
      this.onReject = reject;
    });
  }
}
