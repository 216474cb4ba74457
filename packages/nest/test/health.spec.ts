/** NaniteHealthIndicator inside a real @nestjs/terminus health check. */
import { ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { NaniteHealthIndicator, NaniteModule } from '../src';
import { CalcActor, MathService } from './fixtures';
import { Closer, MemoryLogger, TestBus } from './helpers';

describe('NaniteHealthIndicator with terminus', () => {
  const closer = new Closer();
  let bus: TestBus;
  let app: TestingModule;

  beforeEach(async () => {
    bus = new TestBus();
    app = closer.add(
      await Test.createTestingModule({
        imports: [TerminusModule.forRoot({ logger: false }), NaniteModule.forRoot({ transport: bus.transport(), agent: { identity: 'healthy' }, logger: new MemoryLogger() })],
        providers: [MathService, CalcActor],
      }).compile(),
    );
    await app.init();
  });

  afterEach(async () => {
    await closer.closeAll();
    await bus.close();
  });

  it('is up when connected, with the agents the mapper knows', async () => {
    const health = app.get(HealthCheckService);
    const nanite = app.get(NaniteHealthIndicator);
    await expect(health.check([() => nanite.check('nanite', { minAgents: 1 })])).resolves.toMatchObject({
      status: 'ok',
      info: { nanite: { status: 'up', connected: null, agents: 1, agent: { identity: 'healthy', running: true, inFlight: 0 } } },
    });
  });

  it('is down (terminus answers 503) when fewer agents than wanted are known', async () => {
    const health = app.get(HealthCheckService);
    const nanite = app.get(NaniteHealthIndicator);
    const err = await health.check([() => nanite.check('nanite', { minAgents: 2 })]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableException);
    expect((err as ServiceUnavailableException).getResponse()).toMatchObject({
      status: 'error',
      error: { nanite: { status: 'down', reason: '1 agent(s) known, 2 wanted' } },
    });
  });

  it.each([
    ['null options', ['nanite', null], 'options'],
    ["minAgents: '1'", ['nanite', { minAgents: '1' }], 'minAgents'],
    ['minAgents: -1', ['nanite', { minAgents: -1 }], 'minAgents'],
    ['route: 5', ['nanite', { route: 5 }], 'route'],
  ])('%s: a promise rejected with NANITE_ERR_INVALID_ARGUMENT (never a synchronous throw), which terminus passes on', async (_label, args, option) => {
    const health = app.get(HealthCheckService);
    const nanite = app.get(NaniteHealthIndicator);
    const check = nanite.check as (...a: unknown[]) => Promise<unknown>;
    let result: Promise<unknown> | undefined;
    expect(() => {
      result = check.apply(nanite, args);
    }).not.toThrow();
    await expect(result).rejects.toMatchObject({ name: 'NaniteError', code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } });
    await expect(health.check([() => check.apply(nanite, args) as never])).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } });
  });

  it('is down once the app is shutting down', async () => {
    const nanite = app.get(NaniteHealthIndicator);
    await app.close();
    await expect(nanite.check()).resolves.toMatchObject({ nanite: { status: 'down', state: 'stopped' } });
  });
});
