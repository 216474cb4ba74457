/** startup: 'background' boots while the transport is down and connects later; startup: 'wait' fails the boot instead. */
import { NaniteError, type AgentLink, type AgentLinkOptions, type AgentSink, type MapperLink, type MapperSink, type Transport } from '@nanite/core';
import { Test } from '@nestjs/testing';
import { MapperService, NaniteHealthIndicator, NaniteModule, NaniteRuntime } from '../src';
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

  it("'background': the app boots while the transport is down, reports it, and recovers once it is up", async () => {
    const transport = new OutageTransport(bed.bus.transport());
    const logger = new MemoryLogger();
    const app = closer.add(
      await Test.createTestingModule({
        imports: [NaniteModule.forRoot({ transport, startup: 'background', startupRetry: { initialDelay: 5, maxDelay: 20 }, logger })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await app.init();
    const nanite = app.get(MapperService);
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
});
