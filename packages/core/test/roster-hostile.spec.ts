/**
 * The roster against hostile or broken input: gossip stamped far ahead (forged, or a mapper whose
 * clock is wrong), counters at the edge of safe integers, peer-supplied metadata out of range, a
 * flood of forged peers, a user clock that returns fractions or throws, custom stores that are slow
 * or fail on close, and options that contradict the defaults.
 */
import { Mapper, defineActor, type MapperOptions, type RequestContext } from '../src';
import { HybridClock } from '../src/mapper/roster/hlc';
import { Roster, type RosterHooks } from '../src/mapper/roster/roster';
import { mergeEntries, type RosterEntry } from '../src/mapper/roster/roster-entry';
import { RosterSet } from '../src/mapper/roster/roster-set';
import { decodeRoster, encodeRoster, type RosterStore, type StoreLoad } from '../src/mapper/roster/roster-store';
import type { GossipLink } from '../src/transport/gossip';
import type { AgentView } from '../src/selectors/selector';
import { RecordingLogger, TestCluster, closeCluster, deferred, flush, rosterEntry, step, useFakeTimers } from './helpers';

const echo = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });

const HOUR = 3_600_000;
const stamp = (wall: number, node = 'evil', logical = 0) => ({ wall, logical, node });

/** An entry as a peer would gossip it (plain JSON), stamped now unless told otherwise. */
function entry(identity: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    identity, incarnation: 0, live: { state: 'up', at: stamp(now) }, meta: { value: { routes: ['/svc/who'], tags: [], pingInterval: 1_000 }, at: stamp(now) },
    firstSeen: now, lastUp: now, lastDown: 0, ...over,
  };
}

const entries = (list: object[], at = stamp(Date.now()), from = 'evil') => ({ t: 'entries', from, at, entries: list });

const view = (identity: string): AgentView => ({
  identity, routes: ['/svc/who'], tags: [], status: 0, inFlight: 0, concurrency: 1, priority: 1, pingInterval: 1_000, lastSeen: Date.now(), pending: 0, load: 0,
});

const hooks = (): RosterHooks => ({ suspend: () => undefined, resume: () => undefined, drop: () => undefined, emit: () => undefined, connected: () => true });

/** A store in memory whose saves and close the test can watch and hold up. */
class WatchedStore implements RosterStore {
  readonly where = 'watched';
  readonly events: string[] = [];
  saved: readonly RosterEntry[] = [];
  /** From the moment close() is called. */
  closed = false;
  /** Set to hold up the next saves until resolved. */
  gate: Promise<void> | undefined;
  closeGate: Promise<void> | undefined;
  closeError: Error | undefined;

  constructor(private readonly stored: RosterEntry[] = []) {}

  async load(): Promise<StoreLoad> {
    return { entries: this.stored };
  }

  async save(list: readonly RosterEntry[]): Promise<void> {
    const n = this.events.filter((e) => e.startsWith('save start')).length + 1;
    this.events.push(this.closed ? 'save after close' : `save start ${n}`);
    if (this.gate) await this.gate;
    this.saved = [...list];
    this.events.push(`save end ${n}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.closeGate) await this.closeGate;
    this.events.push('close');
    if (this.closeError) throw this.closeError;
  }
}

let c: TestCluster;
const cleanups: Array<() => Promise<void>> = [];

/** A gossip endpoint on the cluster's bus that anyone on the broker could open: sends whatever the test forges. */
async function forger(id = 'evil'): Promise<GossipLink> {
  const t = c.transport();
  await t.connect();
  cleanups.push(() => t.close());
  return t.openGossip(id, { onMessage: () => undefined });
}

/** A roster on the cluster's gossip that hears no agent itself (what it knows comes from its peers). */
async function listeningRoster(id: string): Promise<Roster> {
  const t = c.transport();
  await t.connect();
  const r = new Roster(id, {}, hooks(), c.logger, undefined);
  const link = await t.openGossip(id, { onMessage: (m) => r.onGossip(m), onMalformed: (reason) => r.onMalformedGossip(reason) });
  cleanups.push(async () => {
    await r.close();
    await t.close();
  });
  r.start(link);
  return r;
}

describe('on a cluster', () => {
  beforeEach(() => {
    c = new TestCluster();
    useFakeTimers();
  });
  afterEach(async () => {
    for (const f of cleanups.splice(0)) await f();
    await closeCluster(c);
    jest.restoreAllMocks();
  });

  test.each([
    ['its own stamp', (far: number) => entries([entry('ghost')], stamp(far))],
    ['the liveness stamp', (far: number) => entries([entry('ghost', { live: { state: 'down', at: stamp(far) } })])],
    ['the metadata stamp', (far: number) => entries([entry('ghost', { meta: { value: { routes: [], tags: ['x'] }, at: stamp(far) } })])],
    ['a tombstone (it would never expire)', (far: number) => entries([entry('ghost', { removed: stamp(far) })])],
  ])('gossip stamped more than maxDrift ahead in %s is refused and counted as malformed', async (_where, forge) => {
    const m = await c.startedMapper({ roster: { tombstoneTtl: 1_000 } });
    const evil = await forger();
    evil.send(m.identity, forge(Date.now() + HOUR));
    await step(3_000);
    expect(rosterEntry(m, 'ghost')).toBeUndefined();
    expect(m.rosterStats()!.malformedGossip).toBe(1);
  });

  test("a peer's verdict stamped ahead of this mapper's clock (within maxDrift) is outranked by its next local write: a live agent ends up on every mapper", async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const m = await c.startedMapper();
    // A mapper that hears no agent itself: it holds whatever verdict wins the merge.
    const r = await listeningRoster('r');
    await step(3_000);
    expect(r.get('a')?.state).toBe('up');
    const evil = await forger();
    evil.send('r', entries([entry('a', { live: { state: 'down', at: stamp(Date.now() + 240_000) } })]));
    await step(5_000);
    expect(rosterEntry(m, 'a')?.state).toBe('up');
    expect(r.get('a')?.state).toBe('up');
    expect(m.agents().map((x) => x.identity)).toEqual(['a']);
  });

  test('a message stamp with a huge logical counter is refused: the mapper keeps stamping safe integers and its peers keep hearing it', async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const m1 = await c.startedMapper();
    const m2 = await c.startedMapper();
    await step(2_000);
    const evil = await forger();
    evil.send(m1.identity, { t: 'digest', from: 'evil', at: stamp(Date.now() + 60_000, 'evil', Number.MAX_SAFE_INTEGER), buckets: Array(32).fill('0'.repeat(16)) });
    await flush();
    m1.forget('a');
    await step(2_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('removed');
    expect(m2.rosterStats()!.malformedGossip).toBe(0);
    expect(m1.rosterStats()!.malformedGossip).toBe(1);
  });

  test('an incarnation past 2^31-1 from gossip is refused; an agent that rejoins after it is registered as usual and its peers keep hearing the mapper', async () => {
    const m1 = await c.startedMapper();
    const m2 = await c.startedMapper();
    const evil = await forger();
    evil.send(m1.identity, entries([entry('a', { incarnation: Number.MAX_SAFE_INTEGER, removed: stamp(Date.now()) })]));
    await flush();
    await c.agent({ identity: 'a', actors: [echo()], rejoin: true }).start();
    await step(3_000);
    for (const m of [m1, m2]) expect(rosterEntry(m, 'a')).toMatchObject({ state: 'up', incarnation: 0 });
    expect(m2.rosterStats()!.malformedGossip).toBe(0);
    expect(m1.rosterStats()!.malformedGossip).toBe(1);
  });

  test('an agent removed at the highest incarnation cannot rejoin (it would need one past the cap): its entry stays readable by every peer', async () => {
    const m1 = await c.startedMapper();
    const m2 = await c.startedMapper();
    const evil = await forger();
    const top = 2 ** 31 - 1;
    evil.send(m1.identity, entries([entry('a', { incarnation: top, removed: stamp(Date.now()) })]));
    await step(1_000);
    const a = c.agent({ identity: 'a', actors: [echo()], rejoin: true });
    await a.start();
    await step(3_000);
    for (const m of [m1, m2]) expect(rosterEntry(m, 'a')).toMatchObject({ state: 'removed', incarnation: top });
    expect(m1.rosterStats()!.malformedGossip + m2.rosterStats()!.malformedGossip).toBe(0);
    expect(c.logger.warnings()).toContain('a removed agent asked to rejoin, but its incarnation is at the limit: refused (give it a new identity)');
  });

  test.each([
    ['fractions of a millisecond', () => Date.now() + 0.5],
    ['NaN', () => Number.NaN],
    ['a throw', (): number => { throw new Error('clock broke'); }],
  ])('a roster clock that returns %s does not break the gossip or the store: stamps stay whole milliseconds', async (_what, clock) => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const store = new WatchedStore();
    const m1 = await c.startedMapper({ roster: { clock, store, saveDelay: 10 } });
    const m2 = await c.startedMapper();
    await step(2_000);
    expect(Number.isSafeInteger(m1.forget('a')?.removedAt)).toBe(true);
    await step(2_000);
    expect(rosterEntry(m2, 'a')?.state).toBe('removed');
    expect(m2.rosterStats()!.malformedGossip).toBe(0);
    expect(decodeRoster(encodeRoster(store.saved)).corrupt).toBeUndefined();
  });

  test('a broken roster clock is logged once per burst, not once per stamp', async () => {
    const m = await c.startedMapper({ roster: { clock: () => { throw new Error('clock broke'); } } });
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    await step(3_000);
    expect(rosterEntry(m, 'a')?.state).toBe('up');
    expect(c.logger.warnings().filter((w) => w.startsWith('the roster clock'))).toHaveLength(1);
  });

  test.each([
    ['9e15 (the detector would never judge it down)', 9e15],
    ['below the registry minimum', 10],
    ['a fraction', 1_000.5],
  ])('a pingInterval of %s in gossiped metadata is refused', async (_what, pingInterval) => {
    const m = await c.startedMapper();
    const evil = await forger();
    evil.send(m.identity, entries([entry('ghost', { meta: { value: { routes: [], tags: [], pingInterval }, at: stamp(Date.now()) } })]));
    evil.send(m.identity, entries([entry('fine')]));
    await flush();
    expect(rosterEntry(m, 'ghost')).toBeUndefined();
    expect(rosterEntry(m, 'fine')).toMatchObject({ pingInterval: 1_000 });
    expect(m.rosterStats()!.malformedGossip).toBe(1);
  });

  test('forged sender ids fill the peer table, yet a real mapper that starts later still gets deltas at once', async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    // Digests once a minute: only deltas can carry the removal within the test.
    const m1 = await c.startedMapper({ roster: { gossipInterval: 60_000 } });
    await step(1_500);
    const evil = await forger();
    for (let i = 0; i < 300; i++) evil.broadcast({ t: 'digest', from: `fake-${i}`, at: stamp(Date.now()), buckets: Array(32).fill('0'.repeat(16)) });
    await step(100);
    expect(m1.rosterStats()!.peers).toBe(256);
    const m2 = await c.startedMapper({ roster: { gossipInterval: 60_000 } });
    await step(200);
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
    m1.forget('a');
    await step(200);
    expect(rosterEntry(m2, 'a')?.state).toBe('removed');
    expect(m1.rosterStats()!.peers).toBe(256);
  });

  test('forged digests naming a victim as sender get it at most 4 syncs per gossip interval from each mapper, not one per digest; an honest peer still converges', async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const m = await c.startedMapper();
    await step(1_500);
    // The victim: a gossip endpoint that counts what reaches it.
    const t = c.transport();
    await t.connect();
    cleanups.push(() => t.close());
    let synced = 0;
    await t.openGossip('victim', { onMessage: (msg) => { if ((msg as { t?: string }).t === 'entries') synced++; } });
    const evil = await forger();
    const digest = () => ({ t: 'digest', from: 'victim', at: stamp(Date.now()), buckets: Array(32).fill('0'.repeat(16)) });
    for (let i = 0; i < 100; i++) evil.broadcast(digest());
    await step(50);
    expect(synced).toBe(4); // before: 100
    expect(m.rosterStats()!.syncsRefused).toBe(96);
    expect(c.logger.warnings().filter((w) => w.includes('roster syncs'))).toHaveLength(1);
    // The next interval opens a new window.
    await step(1_000);
    evil.broadcast(digest());
    await step(50);
    expect(synced).toBe(5);
    // An honest mapper starting now still learns the roster at once.
    const m2 = await c.startedMapper();
    await step(200);
    expect(rosterEntry(m2, 'a')?.state).toBe('up');
  });

  test('gossip that arrives while the mapper closes is not saved after its store is closed', async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const store = new WatchedStore();
    const m1 = await c.startedMapper({ roster: { store, saveDelay: 10 } });
    const m2 = await c.startedMapper();
    await step(2_000);
    const hold = deferred();
    store.closeGate = hold.promise;
    const closing = m1.close();
    await step(100);
    // A peer's change reaches m1 while its store is still closing.
    m2.forget('a');
    await step(500);
    hold.resolve();
    await closing;
    await step(2_000);
    expect(store.events).not.toContain('save after close');
    expect(store.events[store.events.length - 1]).toBe('close');
  });

  test('a custom store whose close() rejects leaves the mapper closed, not half-closed: close resolves, the failure is logged, gossip no longer reaches it', async () => {
    const store = new WatchedStore();
    store.closeError = new Error('store went away');
    const m = await c.startedMapper({ roster: { store } });
    await expect(m.close()).resolves.toBeUndefined();
    expect(c.logger.warnings()).toContain('closing the roster store failed');
    const evil = await forger();
    const heard = m.rosterStats()!.gossipReceived;
    evil.send(m.identity, entries([entry('ghost')]));
    await flush();
    expect(m.rosterStats()!.gossipReceived).toBe(heard);
    expect(rosterEntry(m, 'ghost')).toBeUndefined();
  });

  test('entries stored with stamps more than maxDrift ahead are dropped on load, with one log line', async () => {
    const now = Date.now();
    const ok = entry('a', { live: { state: 'down', at: stamp(now - 10_000, 'old') } }) as unknown as RosterEntry;
    const ahead = (id: string) => entry(id, { live: { state: 'up', at: stamp(now + HOUR, 'old') } }) as unknown as RosterEntry;
    const m = c.mapper({ roster: { store: new WatchedStore([ok, ahead('b'), ahead('c')]) } });
    await m.start();
    expect(m.roster().map((x) => x.identity)).toEqual(['a']);
    const lines = c.logger.lines.filter((l) => l.msg?.startsWith('stored roster entries'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ dropped: 2 });
  });
});

describe('options', () => {
  beforeEach(() => {
    c = new TestCluster();
  });
  afterEach(() => closeCluster(c));

  test.each([
    ['suspectPhi above the default downPhi (8)', { suspectPhi: 10 }, 'roster.detector.suspectPhi'],
    ['downPhi below the default suspectPhi (3)', { downPhi: 2 }, 'roster.detector.downPhi'],
    ['downPhi below suspectPhi', { suspectPhi: 5, downPhi: 4 }, 'roster.detector.downPhi'],
  ])('a detector with %s is refused with NANITE_ERR_INVALID_ARGUMENT naming it', (_what, detector, option) => {
    expect(() => new Mapper({ transport: c.transport(), roster: { detector } as MapperOptions['roster'] })).toThrow(expect.objectContaining({ code: 'NANITE_ERR_INVALID_ARGUMENT', data: { option } }));
  });

  test('thresholds on either side of the defaults that agree are accepted', () => {
    expect(() => new Mapper({ transport: c.transport(), roster: { detector: { suspectPhi: 8 } } })).not.toThrow();
    expect(() => new Mapper({ transport: c.transport(), roster: { detector: { downPhi: 12 } } })).not.toThrow();
  });
});

describe('a roster on its own', () => {
  let store: WatchedStore;
  let r: Roster | undefined;
  beforeEach(() => {
    store = new WatchedStore();
  });
  afterEach(async () => {
    await r?.close();
    r = undefined;
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  test('close() resolves only once the latest roster is saved, even when a save was queued behind a slow one', async () => {
    r = new Roster('m', { gossip: false, saveDelay: 0 }, hooks(), new RecordingLogger(), store);
    await r.load();
    r.start(undefined);
    const first = deferred();
    store.gate = first.promise;
    r.heard(view('a'), true);
    await new Promise((res) => setTimeout(res, 5));
    expect(store.events).toEqual(['save start 1']);
    const second = deferred();
    r.heard(view('b'), true);
    await new Promise((res) => setTimeout(res, 5));
    let closed = false;
    const closing = r.close().then(() => (closed = true));
    store.gate = second.promise;
    first.resolve();
    await new Promise((res) => setTimeout(res, 5));
    expect(store.events).toEqual(['save start 1', 'save end 1', 'save start 2']);
    expect(closed).toBe(false);
    second.resolve();
    await closing;
    expect(store.events).toEqual(['save start 1', 'save end 1', 'save start 2', 'save end 2', 'close']);
    expect(store.saved.map((e) => e.identity).sort()).toEqual(['a', 'b']);
  });

  test('gossip handed to a closed roster arms no save', async () => {
    useFakeTimers();
    r = new Roster('m', { saveDelay: 10 }, hooks(), new RecordingLogger(), store);
    await r.load();
    const link: GossipLink = { broadcast: () => undefined, send: () => undefined, close: async () => undefined };
    r.start(link);
    await r.close();
    r.onGossip(entries([entry('late')], stamp(Date.now()), 'peer'));
    r.onMalformedGossip('garbage');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1_000);
    await flush();
    expect(store.events).toEqual(['close']);
    expect(r.stats.malformedGossip).toBe(0);
  });

  test('tombstoneTtl 1 expires tombstones within a second without scanning the roster every millisecond', async () => {
    useFakeTimers();
    const scans = jest.spyOn(RosterSet.prototype, 'expireTombstones');
    r = new Roster('m', { gossip: false, tombstoneTtl: 1 }, hooks(), new RecordingLogger(), undefined);
    r.start(undefined);
    r.heard(view('a'), true);
    r.forget('a');
    jest.advanceTimersByTime(2_000);
    expect(r.get('a')).toBeUndefined();
    expect(scans.mock.calls.length).toBeLessThanOrEqual(2);
  });

  test('a local write after a stored entry stamped ahead of the clock (within maxDrift) still wins', async () => {
    useFakeTimers();
    jest.setSystemTime(1_000_000);
    const ahead = entry('a', { live: { state: 'down', at: stamp(Date.now() + 240_000, 'other') } }) as unknown as RosterEntry;
    const stored = new WatchedStore([ahead]);
    r = new Roster('m', { gossip: false, saveDelay: 0 }, hooks(), new RecordingLogger(), stored);
    await r.load();
    r.start(undefined);
    r.heard(view('a'), true);
    await r.close();
    // A peer that still holds the stored verdict takes this mapper's later write.
    const written = stored.saved.find((e) => e.identity === 'a')!;
    expect(mergeEntries(ahead, written).live).toMatchObject({ state: 'joining', at: { node: 'm' } });
  });
});

describe('the hybrid clock', () => {
  test('refuses a stamp whose logical counter cannot be incremented safely, and keeps stamping safe integers', () => {
    const clock = new HybridClock('m', { now: () => 1_000 });
    expect(clock.receive(stamp(1_500, 'x', Number.MAX_SAFE_INTEGER))).toBe(false);
    const s = clock.now();
    expect(Number.isSafeInteger(s.logical)).toBe(true);
    expect(clock.now().logical).toBe(s.logical + 1);
  });

  test('floors a fractional physical clock and falls back to Date.now() when it is not a finite number or throws', () => {
    let value = 1_000.7;
    let fail = false;
    const clock = new HybridClock('m', { now: () => { if (fail) throw new Error('broken'); return value; } });
    expect(clock.now()).toEqual({ wall: 1_000, logical: 0, node: 'm' });
    value = Number.POSITIVE_INFINITY;
    const before = Date.now();
    const pt = clock.physicalNow();
    expect(pt).toBeGreaterThanOrEqual(before);
    expect(pt).toBeLessThanOrEqual(Date.now());
    fail = true;
    expect(Number.isSafeInteger(clock.now().wall)).toBe(true);
  });
});
