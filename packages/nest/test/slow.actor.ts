/** An actor whose handler waits for the test to release it (shutdown tests). */
import { Injectable } from '@nestjs/common';
import { Actor, Expose } from '../src';
import { deferred } from './helpers';

/** Started/release latches shared between a test and its SlowActor. */
export class SlowGate {
  readonly started = deferred();
  readonly release = deferred();
}

@Injectable()
@Actor('slow')
export class SlowActor {
  constructor(private readonly gate: SlowGate) {}

  @Expose()
  async work(): Promise<string> {
    this.gate.started.resolve();
    await this.gate.release.promise;
    return 'done';
  }
}
