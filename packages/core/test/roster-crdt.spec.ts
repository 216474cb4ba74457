/** The roster CRDT: merge is a join (commutative, associative, idempotent), so replicas converge whatever the order and duplication of what they exchange. */
import fc from 'fast-check';
import { HybridClock } from '../src/mapper/roster/hlc';
import { mergeEntries, stateOf, versionOf, type Liveness, type RosterEntry } from '../src/mapper/roster/roster-entry';
import { RosterSet } from '../src/mapper/roster/roster-set';

const NODES = ['m1', 'm2', 'm3'];
const AGENTS = ['a', 'b', 'c', 'd'];

type Op =
  | { kind: 'live'; node: number; agent: number; state: Liveness; tick: number }
  | { kind: 'meta'; node: number; agent: number; tag: string; tick: number }
  | { kind: 'remove'; node: number; agent: number; tick: number }
  | { kind: 'rejoin'; node: number; agent: number; tick: number }
  | { kind: 'sync'; from: number; to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('live' as const), node: fc.nat(2), agent: fc.nat(3), state: fc.constantFrom<Liveness>('joining', 'up', 'suspect', 'down'), tick: fc.nat(50) }),
  fc.record({ kind: fc.constant('meta' as const), node: fc.nat(2), agent: fc.nat(3), tag: fc.constantFrom('x', 'y', 'z'), tick: fc.nat(50) }),
  fc.record({ kind: fc.constant('remove' as const), node: fc.nat(2), agent: fc.nat(3), tick: fc.nat(50) }),
  fc.record({ kind: fc.constant('rejoin' as const), node: fc.nat(2), agent: fc.nat(3), tick: fc.nat(50) }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.nat(2), to: fc.nat(2) }),
);

/** Replays operations on three replicas, each with its own (skewed, jumping) clock; returns every entry any replica ever wrote. */
function replay(ops: Op[]): { replicas: RosterSet[]; writes: RosterEntry[] } {
  const time = [0, 0, 0];
  const skew = [-30_000, 0, 30_000];
  const clocks = NODES.map((n, i) => new HybridClock(n, { now: () => 1_000_000 + time[i]! + skew[i]! }));
  const replicas = NODES.map(() => new RosterSet());
  const writes: RosterEntry[] = [];
  const write = (i: number, e: RosterEntry): void => {
    replicas[i]!.merge(e);
    writes.push(replicas[i]!.get(e.identity)!);
  };
  for (const op of ops) {
    if (op.kind === 'sync') {
      for (const e of replicas[op.from]!.all()) {
        replicas[op.to]!.merge(e);
        clocks[op.to]!.receive(e.live.at);
      }
      continue;
    }
    time[op.node]! += op.tick;
    const r = replicas[op.node]!;
    const id = AGENTS[op.agent]!;
    const at = clocks[op.node]!.now();
    const cur = r.get(id) ?? { identity: id, incarnation: 0, live: { state: 'joining' as const, at }, meta: { value: { routes: [], tags: [] }, at }, firstSeen: at.wall, lastUp: 0, lastDown: 0 };
    if (op.kind === 'live') write(op.node, { ...cur, live: { state: op.state, at }, ...(op.state === 'up' ? { lastUp: at.wall } : op.state === 'down' ? { lastDown: at.wall } : {}) });
    else if (op.kind === 'meta') write(op.node, { ...cur, meta: { value: { routes: ['/r'], tags: [op.tag] }, at } });
    else if (op.kind === 'remove') write(op.node, { ...cur, removed: at });
    else {
      const { removed: _drop, ...rest } = cur;
      write(op.node, { ...rest, incarnation: cur.incarnation + 1, live: { state: 'joining', at } });
    }
  }
  return { replicas, writes };
}

const same = (a: RosterEntry, b: RosterEntry): boolean => versionOf(a) === versionOf(b);

function snapshot(set: RosterSet): string[] {
  return [...set.all()].map(versionOf).sort();
}

describe('roster CRDT', () => {
  test('merge of entries is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(), fc.nat(), fc.nat(), (ops, i, j, k) => {
        const { writes } = replay(ops);
        const byAgent = new Map<string, RosterEntry[]>();
        for (const w of writes) byAgent.set(w.identity, [...(byAgent.get(w.identity) ?? []), w]);
        for (const list of byAgent.values()) {
          const a = list[i % list.length]!;
          const b = list[j % list.length]!;
          const c = list[k % list.length]!;
          if (!same(mergeEntries(a, b), mergeEntries(b, a))) return false;
          if (!same(mergeEntries(mergeEntries(a, b), c), mergeEntries(a, mergeEntries(b, c)))) return false;
          if (!same(mergeEntries(a, a), a)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  test('replicas converge for any delivery order with duplicates, and digests agree', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 200 }), (ops, picks) => {
        const { writes } = replay(ops);
        // Two fresh replicas receive every write: one in order, one shuffled with duplicates.
        const inOrder = new RosterSet();
        for (const w of writes) inOrder.merge(w);
        const shuffled = new RosterSet();
        const pool = [...writes];
        for (const p of picks) if (pool.length) shuffled.merge(pool[p % pool.length]!); // duplicates and random order
        for (const w of [...writes].reverse()) shuffled.merge(w);
        for (const w of writes) shuffled.merge(w); // every write once more
        expect(snapshot(shuffled)).toEqual(snapshot(inOrder));
        expect(shuffled.digest()).toEqual(inOrder.digest());
      }),
      { numRuns: 300 },
    );
  });

  test('replicas that exchange their states in any order all end equal', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(fc.tuple(fc.nat(2), fc.nat(2)), { maxLength: 12 }), (ops, syncs) => {
        const { replicas } = replay(ops);
        for (const [from, to] of syncs) for (const e of replicas[from]!.all()) replicas[to]!.merge(e);
        // Then a full round: everyone hears everyone.
        for (let round = 0; round < 2; round++) for (const from of replicas) for (const to of replicas) for (const e of from.all()) to.merge(e);
        expect(snapshot(replicas[1]!)).toEqual(snapshot(replicas[0]!));
        expect(snapshot(replicas[2]!)).toEqual(snapshot(replicas[0]!));
        expect(replicas[1]!.digest()).toEqual(replicas[0]!.digest());
      }),
      { numRuns: 200 },
    );
  });

  test('removal wins over any liveness of the same incarnation, whatever the clocks say', () => {
    fc.assert(
      fc.property(fc.integer({ min: -30_000, max: 30_000 }), fc.constantFrom<Liveness>('joining', 'up', 'suspect'), (skew, state) => {
        const remover = new HybridClock('m1', { now: () => 1_000_000 });
        const late = new HybridClock('m2', { now: () => 1_000_000 + skew + 60_000 });
        const base: RosterEntry = { identity: 'a', incarnation: 0, live: { state: 'up', at: remover.now() }, meta: { value: { routes: [], tags: [] }, at: remover.now() }, firstSeen: 1, lastUp: 1, lastDown: 0 };
        const removed = { ...base, removed: remover.now() };
        const revived = { ...base, live: { state, at: late.now() } };
        return stateOf(mergeEntries(removed, revived)) === 'removed' && stateOf(mergeEntries(revived, removed)) === 'removed';
      }),
    );
  });

  test('a full roster evicts the longest-removed tombstone, then the longest down, then refuses', () => {
    const clock = new HybridClock('m');
    const entry = (id: string, extra: Partial<RosterEntry> = {}): RosterEntry => ({ identity: id, incarnation: 0, live: { state: 'up', at: clock.now() }, meta: { value: { routes: [], tags: [] }, at: clock.now() }, firstSeen: 1, lastUp: 1, lastDown: 0, ...extra });
    const set = new RosterSet(2);
    set.merge(entry('gone', { removed: clock.now() }));
    set.merge(entry('down', { live: { state: 'down', at: clock.now() }, lastDown: 5 }));
    expect(set.merge(entry('new1'))).toBe('changed');
    expect(set.get('gone')).toBeUndefined();
    expect(set.merge(entry('new2'))).toBe('changed');
    expect(set.get('down')).toBeUndefined();
    expect(set.merge(entry('new3'))).toBe('refused');
    expect(set.size).toBe(2);
  });

  test('tombstones expire after their time', () => {
    const clock = new HybridClock('m', { now: () => 10_000 });
    const set = new RosterSet();
    const at = clock.now();
    set.merge({ identity: 'a', incarnation: 0, live: { state: 'up', at }, meta: { value: { routes: [], tags: [] }, at }, removed: at, firstSeen: 1, lastUp: 1, lastDown: 0 });
    expect(set.expireTombstones(9_000)).toBe(0);
    expect(set.expireTombstones(11_000)).toBe(1);
    expect(set.size).toBe(0);
  });
});
