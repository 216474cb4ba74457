// How the mapper uses optional transport features: per-request delivery, connection state.
import { Mapper, defineActor } from '../src';
import { TestCluster, closeCluster, flush, useFakeTimers } from './helpers';
import { ObservedTransport } from './observed-transport';

let c: TestCluster;
beforeEach(() => { c = new TestCluster(); });
afterEach(() => closeCluster(c));

test('per-request delivery reaches the transport', async () => {
  useFakeTimers(); // Date.now stands still: the ttl is the whole default timeout
  await c.agent({ identity: 'a', actors: [defineActor('m', { rec: () => 'ok' })] }).start();
  const t = new ObservedTransport(c.transport());
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0 });
  await m.start();
  await flush();
  await m.request('/m/rec', null, { delivery: 'at-most-once' });
  await m.request('/m/rec');
  await m.push('/m/rec', null, { delivery: 'at-most-once' });
  // `now`: the dispatcher's clock reading at the send (a synchronous in-process transport takes it as the time of receipt).
  const now = expect.any(Number) as unknown as number;
  expect(t.sends).toEqual([{ persistent: false, delivery: 'at-most-once', ttl: 30_000, now }, { persistent: false, ttl: 30_000, now }, { persistent: false, delivery: 'at-most-once' }]);
  await m.close();
  await t.close();
});

test('the reaper waits out a broker outage instead of dropping every agent', async () => {
  useFakeTimers();
  const ta = c.transport();
  await c.agent({ identity: 'a', actors: [defineActor('m', { rec: () => 'ok' })], pingInterval: 1000 }, ta).start();
  const t = new ObservedTransport(c.transport());
  const m = new Mapper({ transport: t, logger: c.logger, discoveryWindow: 0, reapInterval: 500 });
  await m.start();
  await flush();
  // The outage: nothing gets through, and the transport says so.
  ta.partition();
  t.isConnected = false;
  for (let i = 0; i < 20; i++) {
    jest.advanceTimersByTime(500);
    await flush();
  }
  expect(m.agents().map((x) => x.identity)).toEqual(['a']);
  t.reconnected();
  ta.heal();
  jest.advanceTimersByTime(1000);
  await flush();
  expect(m.agents().map((x) => x.identity)).toEqual(['a']);
  await expect(m.request('/m/rec')).resolves.toBe('ok');
  // A real silence after the outage is still caught.
  ta.partition();
  for (let i = 0; i < 10; i++) {
    jest.advanceTimersByTime(500);
    await flush();
  }
  expect(m.agents()).toEqual([]);
  await m.close();
  await t.close();
});
