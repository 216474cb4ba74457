/** Which actor call the running code belongs to, so MapperService can carry its deadline and trace along. */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestContext } from '@nanite/core';
import { Injectable } from '@nestjs/common';

/**
 * Holds the {@link RequestContext} of the actor call in progress for the code it runs (one store
 * per Nest application, not per process). The explorer enters it around every actor method.
 */
@Injectable()
export class NaniteCallScope {
  private readonly storage = new AsyncLocalStorage<RequestContext>();

  /** Runs `fn` as part of the call described by `context`. */
  run<T>(context: RequestContext, fn: () => T): T {
    return this.storage.run(context, fn);
  }

  /** The context of the actor call the caller runs in, if any. */
  current(): RequestContext | undefined {
    return this.storage.getStore();
  }
}
