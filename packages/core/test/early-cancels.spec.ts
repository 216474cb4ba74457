import { EarlyCancels } from '../src/agent/early-cancels';

function recordingLogger(): { lines: string[]; logger: { debug(): void; info(): void; warn(o: object, m: string): void; error(o: object, m: string): void } } {
  const lines: string[] = [];
  return { lines, logger: { debug() {}, info() {}, warn: (_o, m) => lines.push(m), error: (_o, m) => lines.push(m) } };
}

test('a remembered cancel matches its request once, by mapper and id', () => {
  const { logger } = recordingLogger();
  const t = new EarlyCancels(logger, { agent: 'a' });
  t.remember('m1', 7);
  expect(t.take('m2', 7)).toBe(false); // another mapper's request 7
  expect(t.take('m1', 8)).toBe(false);
  expect(t.take('m1', 7)).toBe(true);
  expect(t.take('m1', 7)).toBe(false); // a redelivery of it runs (the first copy was answered)
  expect(t.size).toBe(0);
});

test('bounded: past the limit the oldest is forgotten, counted, with one log line per burst', () => {
  const { lines, logger } = recordingLogger();
  const t = new EarlyCancels(logger, { agent: 'a' }, 3);
  for (let id = 1; id <= 10; id++) t.remember('m', id);
  expect(t.size).toBe(3);
  expect(t.forgotten).toBe(7);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/more than 3 cancels/);
  expect([1, 7, 8, 9, 10].map((id) => t.take('m', id))).toEqual([false, false, true, true, true]);
});

test('a cancel remembered again moves to the newest end (its second copy keeps it)', () => {
  const { logger } = recordingLogger();
  const t = new EarlyCancels(logger, { agent: 'a' }, 2);
  t.remember('m', 1);
  t.remember('m', 2);
  t.remember('m', 1);
  t.remember('m', 3);
  expect(t.take('m', 1)).toBe(true);
  expect(t.take('m', 2)).toBe(false);
});

test('a remembered cancel lapses silently: a steady trickle of unmatched cancels neither fills the table nor logs', () => {
  const { lines, logger } = recordingLogger();
  const t = new EarlyCancels(logger, { agent: 'a' }, 3, 1_000);
  t.remember('m', 1, 0);
  expect(t.take('m', 1, 1_000)).toBe(false); // its request came too late to be stopped: it runs
  for (let id = 2; id <= 100; id++) t.remember('m', id, id * 500); // two a second, none ever matched
  expect(t.size).toBeLessThanOrEqual(2);
  expect(t.forgotten).toBe(0);
  expect(lines).toHaveLength(0);
  expect(t.take('m', 100, 50_100)).toBe(true);
});
