// Reconnects and outage time as the metrics show them, from a transport's connection changes
// (a stand-in transport: a real broker outage is exercised by the amqp:// outage suites).
import type { Transport } from '../src';
import { TransportWatch } from '../src/observability/transport-watch';

function fakeTransport(url: string): Transport & { set(connected: boolean): void; listeners: number } {
  const listeners = new Set<(connected: boolean) => void>();
  let connected = true;
  return {
    url,
    get isConnected() { return connected; },
    get listeners() { return listeners.size; },
    set(value: boolean) { connected = value; for (const l of listeners) l(value); },
    onConnectionChange(l) { listeners.add(l); return () => listeners.delete(l); },
    stats: () => ({ replyCacheEntries: 3, label: 'not a number' }),
    connect: async () => undefined,
    openAgent: () => Promise.reject(new Error('unused')),
    openMapper: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
  } as Transport & { set(connected: boolean): void; listeners: number };
}

afterEach(() => jest.useRealTimers());

test('counts reconnects and outage seconds (the current outage included), per URL; unsubscribes with its last user', () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const watch = new TransportWatch();
  const t = fakeTransport('amqp://broker/');
  const stopAgent = watch.watch(t);
  const stopMapper = watch.watch(t);
  expect(t.listeners).toBe(1);
  t.set(false);
  jest.setSystemTime(1_002_500);
  expect(watch.samples()).toEqual([{ url: 'amqp://broker/', connected: false, reconnects: 0, outageSeconds: 2.5, stats: { replyCacheEntries: 3 } }]);
  t.set(true);
  jest.setSystemTime(1_010_000);
  t.set(false);
  jest.setSystemTime(1_011_000);
  t.set(true);
  expect(watch.samples()).toEqual([{ url: 'amqp://broker/', connected: true, reconnects: 2, outageSeconds: 3.5, stats: { replyCacheEntries: 3 } }]);
  stopAgent();
  stopAgent();
  expect(t.listeners).toBe(1);
  stopMapper();
  expect(t.listeners).toBe(0);
  expect(watch.samples()).toEqual([]);
});
