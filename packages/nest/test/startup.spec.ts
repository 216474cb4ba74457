/** startup: 'background' boots while the transport is down and connects later; startup: 'wait' fails the boot instead. */
import { Agent, Mapper, NaniteError, type AgentLink, type AgentLinkOptions, type AgentSink, type MapperLink, type MapperSink, type Transport } from '@nanite/core';
import { Test } from '@nestjs/testing';
import { MapperService, NaniteHealthIndicator, NaniteModule, NaniteRuntime, type NaniteModuleOptions } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, useTestBed } from './helpers';

/** A transport whose broker is "down" until `up()`: connect() rejects like an unreachable broker. */
class OutageTransport implements Transport {
  attempts = 0;
  private reachable = false;
  constructor(private readonly inner: Transport) {}
  get url(): string {
    return this.inner.url;
  }
  up(): void {
    this.reachable = true;
  }
  async connect(): Promise<void> {
    this.attempts++;
    if (!this.reachable) throw new NaniteError('NANITE_ERR_TRANSPORT', { message: 'connect ECONNREFUSED' });
    await this.inner.connect();
  }
  openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    return this.inner.openAgent(identity, sink, options);
  }
  openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    return this.inner.openMapper(id, sink);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('startup', () => {
  const bed = useTestBed();
  const closer = bed.closer;

  /** An app starting in the background on a transport that is down until `transport.up()`. */
  async function startingApp(logger = new MemoryLogger()) {
    const transport = new OutageTransport(bed.bus.transport());
    const app = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport, startup: 'background', startupRetry: { initialDelay: 5, maxDelay: 20 }, logger })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await app.init();
    return { app, transport, nanite: app.get(MapperService) };
  }

  it("'background': the app boots while the transport is down, reports it, and recovers once it is up", async () => {
    const logger = new MemoryLogger();
    const { app, transport, nanite } = await startingApp(logger);
    const health = app.get(NaniteHealthIndicator);
    expect(nanite.isReady).toBe(false);
    await expect(nanite.request('/calc/add', [1, 2])).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_CONNECTED' });
    await expect(health.check('nanite')).resolves.toMatchObject({ nanite: { status: 'down', state: 'starting' } });
    await expect(nanite.whenReady(10)).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_CONNECTED' });

    const ready = nanite.whenReady(5_000);
    transport.up();
    await ready;
    expect(transport.attempts).toBeGreaterThan(1);
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg === 'Nanite could not connect; retrying')).toBe(true);
    expect(nanite.isReady).toBe(true);
    await expect(nanite.request('/calc/add', [1, 2])).resolves.toBe(3);
    await expect(health.check('nanite', { minAgents: 1, route: '/calc/add' })).resolves.toMatchObject({ nanite: { status: 'up', agents: 1 } });
  });

  it("'background': closing while still down stops retrying and leaves nothing open", async () => {
    const transport = new OutageTransport(bed.bus.transport());
    const app = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ transport, startup: 'background', startupRetry: { initialDelay: 5, maxDelay: 5 }, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    }).compile();
    await app.init();
    const nanite = app.get(MapperService);
    const pending = nanite.whenReady(5_000);
    await app.close();
    await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
    const attempts = transport.attempts;
    await new Promise((resolve) => setTimeout(resolve, 30)); // longer than the retry delay: no attempt may follow
    expect(transport.attempts).toBe(attempts);
    expect(app.get(NaniteRuntime).state).toBe('stopped');
  });

  it("'wait' (default): app.init() fails with the transport's error and releases what it opened", async () => {
    const transport = new OutageTransport(bed.bus.transport());
    const app = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport, logger: new MemoryLogger() })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await expect(app.init()).rejects.toMatchObject({ code: 'NANITE_ERR_TRANSPORT' });
    expect(app.get(NaniteRuntime).state).toBe('stopped');
  });

  describe('options', () => {
    it.each<[string, Partial<NaniteModuleOptions>, string]>([
      ["startup: 'Background' (a typo)", { startup: 'Background' as never }, 'startup'],
      ["startup: 'soon'", { startup: 'soon' as never }, 'startup'],
      ['startupRetry: { initialDelay: 0 }', { startup: 'background', startupRetry: { initialDelay: 0 } }, 'startupRetry.initialDelay'],
      ["startupRetry: { initialDelay: 'soon' }", { startup: 'background', startupRetry: { initialDelay: 'soon' as never } }, 'startupRetry.initialDelay'],
      ['startupRetry: { initialDelay: -5 }', { startup: 'background', startupRetry: { initialDelay: -5 } }, 'startupRetry.initialDelay'],
      ['startupRetry: { initialDelay: 2.5 }', { startup: 'background', startupRetry: { initialDelay: 2.5 } }, 'startupRetry.initialDelay'],
      ['startupRetry: { maxDelay: NaN }', { startup: 'background', startupRetry: { maxDelay: NaN } }, 'startupRetry.maxDelay'],
      ['startupRetry: { maxDelay: 2 ** 31 }', { startup: 'background', startupRetry: { maxDelay: 2 ** 31 } }, 'startupRetry.maxDelay'],
      ['startupRetry: { initialDelay: 50, maxDelay: 10 }', { startup: 'background', startupRetry: { initialDelay: 50, maxDelay: 10 } }, 'startupRetry.initialDelay'],
      ["startupRetry: 'fast'", { startup: 'background', startupRetry: 'fast' as never }, 'startupRetry'],
      ['metrics: {} (every GET /metrics answered 500, nothing observed)', { metrics: {} as never }, 'metrics'],
      ["metrics: 'prometheus'", { metrics: 'prometheus' as never }, 'metrics'],
    ])('%s fails the module with NANITE_ERR_INVALID_ARGUMENT, before any connect attempt', async (_label, options, option) => {
      const transport = new OutageTransport(bed.bus.transport());
      const build = Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport, logger: new MemoryLogger(), ...options })],
        providers: [MathService, CalcActor],
      }).compile();
      await expect(build).rejects.toMatchObject({ name: 'NaniteError', code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(transport.attempts).toBe(0);
    });

    it("startupRetry: a delay left out follows the one given ({ maxDelay: 20 } starts at 20 ms, { initialDelay: 10_000 } is allowed)", async () => {
      const transport = new OutageTransport(bed.bus.transport());
      const app = closer.add(
        await Test.createTestingModule({
          imports: [NaniteModule.forRoot({ transport, startup: 'background', startupRetry: { maxDelay: 20 }, logger: new MemoryLogger() })],
          providers: [MathService, CalcActor],
        }).compile(),
      );
      await app.init();
      const ready = app.get(MapperService).whenReady(5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(transport.attempts).toBeGreaterThanOrEqual(5); // every 20 ms, not after 250 ms
      expect(transport.attempts).toBeLessThanOrEqual(15); // and not in a loop
      transport.up();
      await ready;

      const slow = closer.add(
        await Test.createTestingModule({
          imports: [NaniteModule.forRoot({ transport: bed.bus.transport(), startup: 'background', startupRetry: { initialDelay: 10_000 }, logger: new MemoryLogger() })],
        }).compile(),
      );
      await slow.init();
      await slow.get(MapperService).whenReady(2_000);
    });
  });

  describe('whenReady(timeout)', () => {

    it('Infinity sets no timer: it waits until the module is ready (no TimeoutOverflowWarning, no early rejection)', async () => {
      const warnings: Error[] = [];
      const onWarning = (w: Error): void => {
        warnings.push(w);
      };
      process.on('warning', onWarning);
      try {
        const { nanite, transport } = await startingApp();
        let settled: string | undefined;
        const ready = nanite.whenReady(Infinity).then(() => (settled = 'ready'), (err: NaniteError) => (settled = err.code));
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(settled).toBeUndefined();
        transport.up();
        await ready;
        expect(settled).toBe('ready');
        expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('Infinity: a waiter is released with NANITE_ERR_SHUTTING_DOWN when the app closes', async () => {
      const { app, transport } = await startingApp();
      const pending = app.get(NaniteRuntime).whenReady(Infinity);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await app.close();
      await expect(pending).rejects.toMatchObject({ code: 'NANITE_ERR_SHUTTING_DOWN' });
      const attempts = transport.attempts;
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(transport.attempts).toBe(attempts);
    });

    it.each([['soon'], [2 ** 40], [-1], [NaN], [null]])('%p rejects with NANITE_ERR_INVALID_ARGUMENT (option timeout)', async (timeout) => {
      const { nanite, transport } = await startingApp();
      await expect(nanite.whenReady(timeout as never)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: 'timeout' } });
      transport.up();
      await nanite.whenReady(5_000);
      // A mistaken timeout is refused even once ready.
      await expect(nanite.whenReady(timeout as never)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
    });
  });

  describe("'background' with an agent or mapper instance", () => {
    it.each(['mapper', 'agent'] as const)('%s: an instance that is not running fails the module with NANITE_ERR_INVALID_ARGUMENT: it could not be retried', async (which) => {
      const logger = new MemoryLogger();
      const transport = new OutageTransport(bed.bus.transport());
      const given = which === 'mapper'
        ? { mapper: closer.add(new Mapper({ transport, logger })) }
        : { agent: closer.add(new Agent({ transport, actors: [], logger })), mapper: false as const };
      const build = Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport, startup: 'background', startupRetry: { initialDelay: 5, maxDelay: 10 }, logger, ...given })],
        providers: [MathService, CalcActor],
      }).compile();
      await expect(build).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option: which }, message: expect.stringContaining(`pass ${which} options instead`) });
      expect(transport.attempts).toBe(0);
    });

    it('a running mapper instance is used as is; if it cannot start when the module starts, that failure is final (stopped, error logged, no retries)', async () => {
      const logger = new MemoryLogger();
      const transport = new OutageTransport(bed.bus.transport());
      transport.up();
      const mapper = closer.add(new Mapper({ transport: bed.bus.transport(), logger }));
      await mapper.start();
      const app = closer.add(
        await Test.createTestingModule({
          imports: [NaniteModule.forRoot({ transport, mapper, startup: 'background', startupRetry: { initialDelay: 5, maxDelay: 10 }, logger })],
          providers: [MathService, CalcActor],
        }).compile(),
      );
      await mapper.close(); // closed by its owner before the app starts: it can never start again
      await app.init();
      const runtime = app.get(NaniteRuntime);
      await expect(runtime.whenReady(2_000)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('already started') });
      expect(runtime.state).toBe('stopped');
      expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringContaining('no more retries')]);
      const warned = logger.lines.length;
      await new Promise((resolve) => setTimeout(resolve, 40)); // several retry delays: none may follow
      expect(logger.lines.length).toBe(warned);
      // Later callers learn why, too.
      await expect(app.get(MapperService).whenReady(Infinity)).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringContaining('already started') });
    });
  });
});
