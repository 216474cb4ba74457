/** The roster inside mappers on memory://: failure detection, suspicion out of dispatch, shared retire, clock skew. */
import { Mapper, defineActor, type RequestContext } from '../src';
import type { RosterAgent } from '../src/mapper/roster/roster.options';
import { TestCluster, closeCluster, flush, step, useFakeTimers } from './helpers';

const echo = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });

let c: TestCluster;
beforeEach(() => {
  c = new TestCluster();
  useFakeTimers();
});
afterEach(() => closeCluster(c));

const stateIn = (m: { roster(): RosterAgent[] }, id: string): string | undefined => m.roster().find((a) => a.identity === id)?.state;

describe('failure detection', () => {
  test('a dead agent is suspect (no new work) after ~1.5 s of silence and down before 2 s; events tell', async () => {
    const ta = c.transport();
    const a = c.agent({ identity: 'a', actors: [echo()] }, ta);
    const b = c.agent({ identity: 'b', actors: [echo()] });
    await a.start();
    await b.start();
    const m = await c.startedMapper();
    const events: string[] = [];
    m.on('agent:suspect', (v) => events.push(`suspect ${v.identity}`));
    m.on('agent:down', (v, why) => events.push(`down ${v.identity} ${why}`));
    await step(5_000);
    expect(stateIn(m, 'a')).toBe('up');
    ta.sever();
    const killedAt = Date.now();
    let suspectAt = 0;
    while (!suspectAt) {
      await step(100);
      if (stateIn(m, 'a') === 'suspect') suspectAt = Date.now();
    }
    // Suspect: new work goes to b only.
    for (let i = 0; i < 4; i++) await expect(m.request('/svc/who', undefined, { timeout: 5_000 })).resolves.toBe('b');
    while (stateIn(m, 'a') !== 'down') await step(100);
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(events).toEqual(['suspect a', 'down a timeout']);
    const entry = m.roster().find((x) => x.identity === 'a')!;
    expect(entry.lastDown).toBeGreaterThanOrEqual(killedAt);
    expect(m.agents().map((x) => x.identity)).toEqual(['b']);
  });

  test('a suspect agent that pings again is up at once, and takes work again', async () => {
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
    // Lenient thresholds, so the agent's next ping (one was lost) lands while it is only suspect.
    const m = await c.startedMapper({ roster: { detector: { suspectPhi: 1, minStdRatio: 0.3 } } });
    await step(5_000);
    ta.partition();
    while (stateIn(m, 'a') !== 'suspect') await step(100);
    ta.heal();
    while (stateIn(m, 'a') === 'suspect') await step(100);
    expect(stateIn(m, 'a')).toBe('up');
    await step(200);
    await expect(m.request('/svc/who', undefined, { timeout: 5_000 })).resolves.toBe('a');
  });

  test('with an explicit agentTimeout, "down" only takes the agent out of dispatch; the reaper drops it after that much silence, a ping before puts it back', async () => {
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
    await c.agent({ identity: 'b', actors: [echo()] }).start();
    const m = await c.startedMapper({ agentTimeout: 6_000 });
    const downs: string[] = [];
    m.on('agent:down', (v) => downs.push(v.identity));
    await step(5_000);
    ta.partition();
    while (stateIn(m, 'a') !== 'down') await step(100);
    // Judged down by the detector, yet still known: no new work, not dropped.
    expect(m.agents().map((x) => x.identity).sort()).toEqual(['a', 'b']);
    for (let i = 0; i < 4; i++) await expect(m.request('/svc/who', undefined, { timeout: 5_000 })).resolves.toBe('b');
    expect(downs).toEqual([]);
    ta.heal();
    while (stateIn(m, 'a') !== 'up') await step(100);
    await step(200);
    const seen = new Set<unknown>();
    for (let i = 0; i < 8; i++) seen.add(await m.request('/svc/who', undefined, { timeout: 5_000 }));
    expect(seen.has('a')).toBe(true);
    // Silent past agentTimeout: now the reaper drops it.
    ta.partition();
    await step(7_500);
    expect(downs).toEqual(['a']);
    expect(m.agents().map((x) => x.identity)).toEqual(['b']);
  });

  test('an immediate signal (UnRegister) takes an agent down at once, without waiting for the detector', async () => {
    const a = c.agent({ identity: 'a', actors: [echo()] });
    await a.start();
    const m = await c.startedMapper();
    await step(2_000);
    const before = Date.now();
    const stopping = a.stop();
    await flush();
    await stopping;
    expect(m.roster().find((x) => x.identity === 'a')).toMatchObject({ state: 'down', lastDown: before });
  });

  test("a stall of the mapper's own event loop marks nobody suspect or down", async () => {
    await c.agent({ identity: 'a', actors: [echo()] }).start();
    const m = await c.startedMapper();
    const events: string[] = [];
    m.on('agent:suspect', (v) => events.push(`suspect ${v.identity}`));
    m.on('agent:down', (v) => events.push(`down ${v.identity}`));
    await step(5_000);
    for (let i = 0; i < 3; i++) {
      // 2.5 s without an I/O turn: timers run back to back, nothing is read meanwhile.
      jest.advanceTimersByTime(2_500);
      await flush();
      await step(3_000);
    }
    expect(events).toEqual([]);
    expect(stateIn(m, 'a')).toBe('up');
    expect(m.rosterStats()!.stalls).toBeGreaterThanOrEqual(3);
  });
});

describe('the reaper', () => {
  test("a stall of the mapper's process longer than agentTimeout drops nobody: the late tick judges nothing", async () => {
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
    // Without the roster, the reaper alone judges silence (3 pings = 3 s here).
    const m = await c.startedMapper({ roster: false });
    const events: string[] = [];
    m.on('agent:down', (v, why) => events.push(`down ${v.identity} ${why}`));
    await step(5_000);
    // 3.5 s pass and no timer runs: the process was stalled (a long GC, a CPU-bound handler), the
    // agent's Pings meanwhile are not read yet.
    jest.setSystemTime(Date.now() + 3_500);
    await step(3_000);
    expect(events).toEqual([]);
    expect(m.agents().map((x) => x.identity)).toEqual(['a']);
    // Real silence is still reaped.
    ta.sever();
    await step(5_000);
    expect(events).toEqual(['down a timeout']);
  });
});

describe('shared roster', () => {
  test('three mappers: one forget() removes the agent on all and tells listeners; the agent stops; a restart with rejoin is admitted again', async () => {
    const a = c.agent({ identity: 'a', actors: [echo()] });
    await a.start();
    await c.agent({ identity: 'b', actors: [echo()] }).start();
    const ms = [await c.startedMapper(), await c.startedMapper(), await c.startedMapper()];
    const removed: string[] = [];
    for (const m of ms) m.on('agent:removed', (v) => removed.push(`${v.identity}@${v.state}`));
    await step(3_000);
    expect(ms[0]!.forget('a')).toMatchObject({ identity: 'a', state: 'removed' });
    expect(ms[0]!.forget('nobody')).toBeUndefined();
    await step(1_000);
    for (const m of ms) {
      expect(stateIn(m, 'a')).toBe('removed');
      expect(m.agents().map((x) => x.identity)).toEqual(['b']);
    }
    expect(removed).toEqual(['a@removed', 'a@removed', 'a@removed']);
    // Its next ping is refused and answered "you were removed": it logs that and stops.
    await step(3_000);
    expect(a.isRunning).toBe(false);
    expect(c.logger.warnings().some((w) => w.startsWith('this agent was removed from the cluster'))).toBe(true);
    for (const m of ms) await expect(m.request('/svc/who', undefined, { timeout: 5_000 })).resolves.toBe('b');
    // Restarted on purpose with rejoin: a new incarnation, admitted on every mapper.
    await c.agent({ identity: 'a', actors: [echo()], rejoin: true }).start();
    await step(3_000);
    for (const m of ms) {
      expect(m.roster().find((x) => x.identity === 'a')).toMatchObject({ state: 'up', incarnation: 1 });
      expect(m.agents().map((x) => x.identity).sort()).toEqual(['a', 'b']);
    }
  });

  test('clock skew of ±30 s between mappers neither resurrects a removed agent nor loses an up one', async () => {
    const ta = c.transport();
    await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
    await c.agent({ identity: 'b', actors: [echo()] }).start();
    const behind = await c.startedMapper({ roster: { clock: () => Date.now() - 30_000 } });
    const exact = await c.startedMapper();
    const tm = c.transport();
    const ahead = new Mapper({ transport: tm, logger: c.logger, discoveryWindow: 0, roster: { clock: () => Date.now() + 30_000 } });
    await ahead.start();
    await step(5_000);
    // The fast-clock mapper alone loses sight of a and marks it down with a stamp 30 s ahead.
    tm.partition();
    while (stateIn(ahead, 'a') !== 'down') await step(100);
    tm.heal();
    await step(4_000);
    for (const m of [behind, exact, ahead]) expect(stateIn(m, 'a')).toBe('up');
    // The slow-clock mapper retires b; the fast one, cut off meanwhile, still hears b ping.
    ahead.pauseGossip(true);
    behind.forget('b');
    await step(3_000);
    ahead.pauseGossip(false);
    await step(3_000);
    for (const m of [behind, exact, ahead]) {
      expect(stateIn(m, 'b')).toBe('removed');
      expect(stateIn(m, 'a')).toBe('up');
    }
    await ahead.close();
  });
});

describe('bounds', () => {
  test('past maxEntries a new agent is refused by the roster: counted, one log line per burst', async () => {
    const m = await c.startedMapper({ roster: { maxEntries: 2 } });
    for (const id of ['a', 'b', 'c', 'd']) await c.agent({ identity: id, actors: [echo()] }).start();
    await step(1_000);
    expect(m.roster().map((a) => a.identity).sort()).toEqual(['a', 'b']);
    expect(m.rosterStats()?.refused).toBeGreaterThanOrEqual(2);
    expect(c.logger.warnings().filter((w) => /roster full/.test(w))).toHaveLength(1);
  });
});
