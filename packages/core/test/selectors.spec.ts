import { AllSelector, LeastLoadedSelector, RandomSelector, RoundRobinSelector, SelectorSet, TargetSelector, type AgentView, type RequestInfo } from '../src';

const view = (identity: string, status = 0, pending = 0, concurrency = 10): AgentView => ({
  identity, routes: ['/r/x'], tags: [], status, inFlight: 0, concurrency, priority: 8, pingInterval: 1000, lastSeen: 0, pending, load: status + pending / concurrency,
});
const info: RequestInfo = { route: '/r/x', payload: null, tags: [], target: undefined };
const ids = (vs: readonly AgentView[]): string[] => vs.map((v) => v.identity);

test('least_loaded picks the lowest load and rotates among ties', () => {
  const s = new LeastLoadedSelector();
  expect(ids(s.select([view('a', 0.5), view('b', 0.2), view('c', 0.9)], info))).toEqual(['b']);
  expect(ids(s.select([view('a', 0.1, 5), view('b', 0.3)], info))).toEqual(['b']); // 0.1 + 5/10 > 0.3
  const tie = [view('a'), view('b'), view('c')];
  const picks = new Set([0, 1, 2, 3, 4, 5].map(() => s.select(tie, info)[0]!.identity));
  expect(picks).toEqual(new Set(['a', 'b', 'c']));
});

test('random uses its random source', () => {
  const values = [0, 0.5, 0.99];
  const s = new RandomSelector(() => values.shift()!);
  const c = [view('a'), view('b'), view('c')];
  expect([s.select(c, info), s.select(c, info), s.select(c, info)].map((r) => r[0]!.identity)).toEqual(['a', 'b', 'c']);
});

test('round_robin cycles per route', () => {
  const s = new RoundRobinSelector();
  const c = [view('a'), view('b')];
  const other: RequestInfo = { ...info, route: '/r/y' };
  expect([s.select(c, info), s.select(c, other), s.select(c, info), s.select(c, info)].map((r) => r[0]!.identity)).toEqual(['a', 'a', 'b', 'a']);
});

test('all returns every candidate and fans out; target returns the named one or none', () => {
  const c = [view('a'), view('b')];
  expect(new AllSelector().fanOut).toBe(true);
  expect(ids(new AllSelector().select(c, info))).toEqual(['a', 'b']);
  expect(ids(new TargetSelector().select(c, { ...info, target: 'b' }))).toEqual(['b']);
  expect(new TargetSelector().select(c, { ...info, target: 'z' })).toEqual([]);
});

test('SelectorSet resolves names, functions and objects, and refuses unknown names', () => {
  const set = new SelectorSet();
  const fn = (cands: readonly AgentView[]): AgentView | undefined => cands.at(-1);
  expect(ids(set.resolve(fn).select([view('a'), view('b')], info))).toEqual(['b']);
  expect(set.resolve(fn)).toBe(set.resolve(fn));
  const obj = { select: () => [] };
  expect(set.resolve(obj)).toBe(obj);
  expect(() => set.resolve('fastest' as never)).toThrow(/Unknown selector "fastest"/);
  expect(() => set.resolve('constructor' as never)).toThrow(/Unknown selector/);
});
