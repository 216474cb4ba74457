import { LastHitMap } from '../src/internal/last-hit-map';

test('answers like a Map through every write, hits and misses included', () => {
  const m = new LastHitMap<string, number[]>();
  expect(m.get('a')).toBeUndefined(); // a remembered miss...
  const list = [1];
  m.set('a', list); // ...is forgotten by a write
  expect(m.get('a')).toBe(list);
  list.push(2); // changed in place: still the same value
  expect(m.get('a')).toEqual([1, 2]);
  m.set('a', [3]);
  expect(m.get('a')).toEqual([3]);
  expect(m.get('b')).toBeUndefined();
  expect(m.delete('a')).toBe(true);
  expect(m.get('a')).toBeUndefined();
  expect(m.delete('a')).toBe(false);
  m.set('b', [4]);
  expect(m.size).toBe(1);
  expect([...m.values()]).toEqual([[4]]);
});
