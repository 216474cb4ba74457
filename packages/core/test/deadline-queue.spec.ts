import { DeadlineQueue } from '../src/internal/deadline-queue';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('fires each deadline once, in order, with one timer per timeout length', () => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  q.add(100, () => fired.push('a'));
  jest.advanceTimersByTime(30);
  q.add(100, () => fired.push('b'));
  q.add(50, () => fired.push('short'));
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
  const q = new DeadlineQueue();
  const fired: string[] = [];
  const h = q.add(100, () => fired.push('cancelled'));
  q.add(200, () => fired.push('closed'));
  h.cancel();
  jest.advanceTimersByTime(150);
  expect(fired).toEqual([]);
  q.close();
  expect(jest.getTimerCount()).toBe(0);
  jest.advanceTimersByTime(1000);
  expect(fired).toEqual([]);
  q.add(10, () => fired.push('after close'));
  jest.advanceTimersByTime(100);
  expect(fired).toEqual([]);
});
