/** Test helpers: an isolated memory bus per test and tidy teardown. */
import { Agent, Mapper, MemoryBusRegistry, MemoryTransport, type AgentOptions, type MapperOptions, type Logger } from '../src';
import type { RosterAgent } from '../src/mapper/roster/roster.options';

/** A logger that records warnings (to assert "logged once") and stays quiet. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object; msg?: string }> = [];
  debug(obj: object, msg?: string): void { this.lines.push({ level: 'debug', obj, ...(msg ? { msg } : {}) }); }
  info(obj: object, msg?: string): void { this.lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }); }
  warn(obj: object, msg?: string): void { this.lines.push({ level: 'warn', obj, ...(msg ? { msg } : {}) }); }
  error(obj: object, msg?: string): void { this.lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }); }
  warnings(): string[] { return this.lines.filter((l) => l.level === 'warn').map((l) => l.msg ?? ''); }
}

let n = 0;

/** One isolated cluster: agents and mappers made here share a private bus and are closed by `close()`. */
export class TestCluster {
  readonly registry = new MemoryBusRegistry();
  readonly name = `test-${++n}`;
  readonly logger = new RecordingLogger();
  private readonly agents: Agent[] = [];
  private readonly mappers: Mapper[] = [];

  transport(): MemoryTransport {
    return new MemoryTransport({ name: this.name, registry: this.registry });
  }

  /** An agent on its own transport (pass one to inject faults with `partition()` / `sever()`). */
  agent(options: Omit<AgentOptions, 'transport'>, transport: MemoryTransport = this.transport()): Agent {
    const a = new Agent({ logger: this.logger, pingInterval: 1000, ...options, transport });
    this.agents.push(a);
    return a;
  }

  /** A mapper on its own transport (pass one to inject faults with `disconnect()` / `reconnect()`). */
  mapper(options: Omit<MapperOptions, 'transport'> = {}, transport: MemoryTransport = this.transport()): Mapper {
    const m = new Mapper({ logger: this.logger, discoveryWindow: 0, ...options, transport });
    this.mappers.push(m);
    return m;
  }

  /** A started mapper that has heard the answers to its Advertise (memory:// answers within microtasks). */
  async startedMapper(options: Omit<MapperOptions, 'transport'> = {}): Promise<Mapper> {
    const m = this.mapper(options);
    await m.start();
    await flush();
    return m;
  }

  async close(): Promise<void> {
    for (const m of this.mappers) await m.close();
    for (const a of this.agents) await a.stop();
  }
}

/** Lets every queued microtask (memory:// deliveries) run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** What `mapper`'s roster holds of `identity`. */
export function rosterEntry(mapper: { roster(): RosterAgent[] }, identity: string): RosterAgent | undefined {
  return mapper.roster().find((a) => a.identity === identity);
}

/** Under fake timers: moves time on in 100 ms steps, letting deliveries and one I/O turn run after each (as a real event loop would). */
export async function step(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    jest.advanceTimersByTime(100);
    await flush();
    await new Promise((r) => setImmediate(r));
  }
}

let faked = false;

/** Fake timers that leave microtasks and immediates real (memory:// delivers on microtasks). */
export function useFakeTimers(): void {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate', 'performance'] });
  faked = true;
}

/** Closes a cluster; under fake timers, moves time on until drains and their timeouts are done. */
export async function closeCluster(c: TestCluster): Promise<void> {
  let done = false;
  const closing = c.close().finally(() => (done = true));
  while (faked && !done) {
    jest.advanceTimersByTime(1_000);
    await new Promise((r) => setImmediate(r));
  }
  await closing;
  if (faked) jest.useRealTimers();
  faked = false;
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
