/** The reaper's index: agents ordered by silence, so a tick visits only the silent ones. */
import { SilenceQueue, type SilenceEntry, type SilenceGroup } from '../src/mapper/silence-queue';

class Rec implements SilenceEntry {
  lastSeen = 0;
  silencePrev: SilenceEntry | undefined;
  silenceNext: SilenceEntry | undefined;
  silenceGroup: SilenceGroup | undefined;
  constructor(readonly id: string, public pingInterval: number) {}
}
const ids = (rs: Rec[]): string[] => rs.map((r) => r.id);
const three = (pingInterval: number): number => 3 * pingInterval;

test('only agents silent past three ping intervals come out, oldest first, per interval', () => {
  const q = new SilenceQueue<Rec>();
  const [a, b, c, d] = [new Rec('a', 1000), new Rec('b', 1000), new Rec('c', 1000), new Rec('d', 100)];
  q.touch(a!, 0);
  q.touch(b!, 10);
  q.touch(c!, 20);
  q.touch(d!, 0);
  expect(ids(q.silent(3_000, three))).toEqual(['d']);
  q.touch(a!, 2_000); // a pings: moves behind c
  expect(ids(q.silent(3_015, three))).toEqual(['b', 'd']);
  expect(ids(q.silent(5_001, three))).toEqual(['b', 'c', 'a', 'd']);
  q.remove(b!);
  q.remove(b!); // idempotent
  expect(ids(q.silent(5_001, three))).toEqual(['c', 'a', 'd']);
});

test('an agent that re-registers with another interval moves to that group', () => {
  const q = new SilenceQueue<Rec>();
  const a = new Rec('a', 1000);
  q.touch(a, 0);
  a.pingInterval = 100;
  q.touch(a, 0);
  expect(ids(q.silent(301, three))).toEqual(['a']);
  q.remove(a);
  expect(q.silent(1e9, three)).toEqual([]);
});

test('a tick over 10,000 live agents visits none of them', () => {
  const q = new SilenceQueue<Rec>();
  const rs = Array.from({ length: 10_000 }, (_, i) => new Rec(`r${i}`, 1000));
  rs.forEach((r, i) => q.touch(r, i / 10));
  let calls = 0;
  expect(q.silent(2_000, (p) => (calls++, three(p)))).toEqual([]);
  expect(calls).toBe(1); // one group, its head is fresh: nothing else is looked at
});
