/** A failing step of start or shutdown does not stop the others: everything is released and the error reported. */
import { NaniteError, type AgentLink, type AgentLinkOptions, type AgentSink, type MapperLink, type MapperSink, type Transport } from '@nanite/core';
import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { NaniteModule, NaniteRuntime } from '../src';
import { CalcActor, MathService } from './fixtures';
import { MemoryLogger, TestBus } from './helpers';

/** Which operations of {@link FaultyTransport} fail (after doing their work, so nothing leaks). */
interface Faults {
  openAgent?: boolean;
  agentPause?: boolean;
  mapperClose?: boolean;
  close?: boolean;
}

/** Collects what Nest reports at error level (Nest 12 logs a failing shutdown hook and goes on). */
class NestErrors implements LoggerService {
  readonly errors: unknown[] = [];
  log(): void {}
  warn(): void {}
  error(message: unknown): void {
    this.errors.push(message);
  }
}

function boom(what: string): NaniteError {
  return new NaniteError('NANITE_ERR_TRANSPORT', { message: `${what} failed` });
}

/** A memory transport whose chosen operations throw. */
class FaultyTransport implements Transport {
  closeCalls = 0;
  constructor(private readonly inner: Transport, private readonly faults: Faults) {}
  get url(): string {
    return this.inner.url;
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  async openAgent(identity: string, sink: AgentSink, options: AgentLinkOptions): Promise<AgentLink> {
    if (this.faults.openAgent) throw boom('openAgent');
    const link = await this.inner.openAgent(identity, sink, options);
    const faults = this.faults;
    return {
      broadcast: (packet) => link.broadcast(packet),
      reply: (mapper, packet) => link.reply(mapper, packet),
      async pause() {
        await link.pause();
        if (faults.agentPause) throw boom('agent pause');
      },
      close: () => link.close(),
    };
  }
  async openMapper(id: string, sink: MapperSink): Promise<MapperLink> {
    const link = await this.inner.openMapper(id, sink);
    const faults = this.faults;
    return {
      send: (agent, packet, options) => link.send(agent, packet, options),
      broadcast: (packet) => link.broadcast(packet),
      async close() {
        await link.close();
        if (faults.mapperClose) throw boom('mapper close');
      },
    };
  }
  async close(): Promise<void> {
    this.closeCalls++;
    await this.inner.close();
    if (this.faults.close) throw boom('transport close');
  }
}

describe('shutdown and start failures', () => {
  let bus: TestBus;
  let app: TestingModule | undefined;

  beforeEach(() => {
    bus = new TestBus();
  });

  afterEach(async () => {
    // close() is idempotent: a test that already closed (and saw its error) gets a no-op here.
    await app?.close();
    app = undefined;
    await bus.close();
    expect(bus.openBuses()).toEqual([]);
  });

  async function compile(faults: Faults): Promise<{ moduleRef: TestingModule; transport: FaultyTransport; nest: NestErrors }> {
    const transport = new FaultyTransport(bus.transport(), faults);
    const moduleRef = await Test.createTestingModule({
      imports: [NaniteModule.forRoot({ url: 'faulty://x', transportFactories: { 'faulty:': () => transport }, logger: new MemoryLogger() })],
      providers: [MathService, CalcActor],
    }).compile();
    const nest = new NestErrors();
    moduleRef.useLogger(nest);
    app = moduleRef;
    return { moduleRef, transport, nest };
  }

  it('agent.stop() throwing: app.close() still drains the mapper, closes the transport and reports that error', async () => {
    const { moduleRef, transport, nest } = await compile({ agentPause: true });
    await moduleRef.init();
    const runtime = moduleRef.get(NaniteRuntime);
    await moduleRef.close();
    expect(nest.errors).toEqual([expect.objectContaining({ message: 'agent pause failed' })]);
    expect(runtime.mapper?.isRunning).toBe(false);
    expect(transport.closeCalls).toBe(1);
    expect(runtime.state).toBe('stopped');
    expect(bus.openBuses()).toEqual([]);
  });

  it('mapper.close() and transport.close() throwing: both run, the module reports an AggregateError of both', async () => {
    const { moduleRef, transport, nest } = await compile({ mapperClose: true, close: true });
    await moduleRef.init();
    const runtime = moduleRef.get(NaniteRuntime);
    await moduleRef.close();
    expect(nest.errors).toHaveLength(1);
    const err = nest.errors[0];
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['mapper close failed', 'transport close failed']);
    expect(transport.closeCalls).toBe(1);
    expect(runtime.state).toBe('stopped');
    expect(bus.openBuses()).toEqual([]);
  });

  it("'wait': a failing cleanup does not hide the start error; the transport closes and whenReady() callers are rejected", async () => {
    const { moduleRef, transport } = await compile({ openAgent: true, mapperClose: true });
    const runtime = moduleRef.get(NaniteRuntime);
    const ready = runtime.whenReady(5_000);
    await expect(moduleRef.init()).rejects.toMatchObject({ message: 'openAgent failed' });
    await expect(ready).rejects.toMatchObject({ message: 'openAgent failed' });
    expect(runtime.state).toBe('stopped');
    expect(transport.closeCalls).toBe(1);
    expect(bus.openBuses()).toEqual([]);
  });
});
