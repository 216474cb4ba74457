import { DeadlineQueue, type DeadlineEntry } from '../src/internal/deadline-queue';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

interface Entry extends DeadlineEntry { name: string }
const entry = (name: string): Entry => ({ name, deadlineAt: 0, deadlinePrev: undefined, deadlineNext: undefined, deadlineGroup: undefined });

test('fires each deadline once, in order, with one timer per timeout length', () => {
  const fired: string[] = [];
  const q = new DeadlineQueue<Entry>((e) => fired.push(e.name));
  q.add(100, entry('a'));
  jest.advanceTimersByTime(30);
  q.add(100, entry('b'));
  q.add(50, entry('short'));
  expect(jest.getTimerCount()).toBe(2);
  jest.advanceTimersByTime(50);
  expect(fired).toEqual(['short']);
  jest.advanceTimersByTime(20);
  expect(fired).toEqual(['short', 'a']);
  jest.advanceTimersByTime(29);
  expect(fired).toEqual(['short', 'a']);
  jest.advanceTimersByTime(1);
  expect(fired).toEqual(['short', 'a', 'b']);
  expect(q.size).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
});

test('cancelled deadlines never fire, and close() clears every timer', () => {
  const fired: string[] = [];
  const q = new DeadlineQueue<Entry>((e) => fired.push(e.name));
  const cancelled = entry('cancelled');
  q.add(100, cancelled);
  q.add(200, entry('closed'));
  q.cancel(cancelled);
  jest.advanceTimersByTime(150);
  expect(fired).toEqual([]);
  q.close();
  expect(jest.getTimerCount()).toBe(0);
  jest.advanceTimersByTime(1000);
  expect(fired).toEqual([]);
  q.add(10, entry('after close'));
  jest.advanceTimersByTime(100);
  expect(fired).toEqual([]);
});

test('with keepAlive, only a group holding deadlines keeps the process alive', () => {
  jest.useRealTimers();
  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const base = timeouts();
  const q = new DeadlineQueue<Entry>(() => undefined, { keepAlive: true });
  const a = entry('a');
  q.add(60_000, a);
  expect(timeouts()).toBe(base + 1);
  q.cancel(a); // settled: nothing awaits it any more
  expect(timeouts()).toBe(base);
  q.add(60_000, entry('b'));
  expect(timeouts()).toBe(base + 1);
  q.close();
  expect(timeouts()).toBe(base);
});

test('a deadline further away than a Node timer holds fires at its time, not at once (the timer is re-armed for what is left)', () => {
  const fired: string[] = [];
  const q = new DeadlineQueue<Entry>((e) => fired.push(e.name));
  const timers = jest.spyOn(globalThis, 'setTimeout');
  q.add(2 ** 31 + 10_000, entry('far'));
  // Node fires a longer delay after 1 ms (TimeoutOverflowWarning); jest's clock would not show it.
  expect(Math.max(...timers.mock.calls.map((call) => Number(call[1] ?? 0)))).toBeLessThanOrEqual(2 ** 31 - 1);
  timers.mockRestore();
  jest.advanceTimersByTime(60_000);
  expect(fired).toEqual([]);
  jest.advanceTimersByTime(2 ** 31 - 60_000);
  expect(fired).toEqual([]);
  jest.advanceTimersByTime(10_000);
  expect(fired).toEqual(['far']);
  q.close();
});
