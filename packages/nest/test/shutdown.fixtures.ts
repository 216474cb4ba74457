/** Fixtures of the shutdown specs: a journal of events, a resource closed late, a slow actor. */
import type { RequestContext } from '@nanite/core';
import { Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Actor, Ctx, Expose, NaniteModule } from '../src';
import { deferred, MemoryLogger, type useTestBed } from './helpers';

/** Shared between the apps of one test: what happened, in order. */
export class Journal {
  readonly events: string[] = [];
  readonly started = deferred();
  readonly release = deferred();
}

/** A resource the actor uses; it closes in onApplicationShutdown, after the agent has drained. */
@Injectable()
export class Database implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  open = true;
  constructor(readonly journal: Journal) {}
  query(): string {
    if (!this.open) throw new Error('database closed');
    return 'row';
  }
  onModuleDestroy(): void {
    this.journal.events.push('db:onModuleDestroy');
  }
  beforeApplicationShutdown(): void {
    this.journal.events.push('db:beforeApplicationShutdown');
  }
  onApplicationShutdown(): void {
    this.journal.events.push('db:onApplicationShutdown');
    this.open = false;
  }
}

@Injectable()
@Actor('slow')
export class SlowActor {
  constructor(private readonly db: Database, private readonly journal: Journal) {}

  @Expose()
  async work(): Promise<string> {
    this.journal.events.push('handler:start');
    this.journal.started.resolve();
    await this.journal.release.promise;
    const row = this.db.query();
    this.journal.events.push('handler:end');
    return row;
  }

  @Expose()
  stuck(_payload: unknown, @Ctx() ctx: RequestContext): Promise<never> {
    this.journal.started.resolve();
    return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
  }
}

/** Polls (bounded) until `check` holds: for state that another app changes without an event to await. */
export async function until(check: () => boolean, what: string, limit = 2_000): Promise<void> {
  const end = Date.now() + limit;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Boots the app hosting SlowActor ('slow-agent', no mapper) on the bed's bus; the bed closes it. */
export async function slowAgentApp(bed: ReturnType<typeof useTestBed>, journal: Journal, agent: { drainTimeout?: number } = {}): Promise<TestingModule> {
  const moduleRef = bed.closer.add(
    await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), mapper: false, agent: { identity: 'slow-agent', ...agent }, logger: new MemoryLogger() })],
      providers: [{ provide: Journal, useValue: journal }, Database, SlowActor],
    }).compile(),
  );
  await moduleRef.init();
  return moduleRef;
}
