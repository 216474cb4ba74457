/** The roster across restarts: atomic file saves, the whole roster shown at once after a restart, corrupt files rebuilt. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineActor, type RequestContext } from '../src';
import { FileRosterStore } from '../src/mapper/roster/roster-store';
import { TestCluster, closeCluster, flush } from './helpers';

const echo = () => defineActor('svc', { who: (_p: unknown, ctx: RequestContext) => ctx.agent });

let c: TestCluster;
let dir: string;
beforeEach(async () => {
  c = new TestCluster();
  dir = await mkdtemp(join(tmpdir(), 'nanite-roster-'));
});
afterEach(async () => {
  await closeCluster(c);
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const saved = async (file: string): Promise<string[]> => {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { entries: Array<{ identity: string }> }).entries.map((e) => e.identity).sort();
  } catch {
    return [];
  }
};

test('a restarted mapper shows the whole roster at once, unknown-since-restart until it hears from each agent', async () => {
  const file = join(dir, 'roster.json');
  const ta = c.transport();
  const tb = c.transport();
  await c.agent({ identity: 'a', actors: [echo()] }, ta).start();
  await c.agent({ identity: 'b', actors: [echo()] }, tb).start();
  const first = await c.startedMapper({ roster: { store: file, saveDelay: 10 } });
  await until(async () => (await saved(file)).join() === 'a,b', 'the roster to be saved');
  await first.close();
  tb.sever(); // b dies while no mapper runs
  ta.partition(); // a is alive but not heard yet
  const second = c.mapper({ roster: { store: file, saveDelay: 10 } });
  await second.start();
  expect(second.roster().map((x) => [x.identity, x.state])).toEqual([['a', 'unknown-since-restart'], ['b', 'unknown-since-restart']]);
  ta.heal();
  await until(() => second.roster().find((x) => x.identity === 'a')?.state === 'up', 'a to be heard again');
  // b never answers: the detector, seeded at the restart, takes it down.
  await until(() => second.roster().find((x) => x.identity === 'b')?.state === 'down', 'b to be marked down');
  // No temp file is left behind once the last save is done.
  await second.close();
  expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test.each([
  ['garbage', 'this is not json {'],
  ['truncated', '{"v":1,"savedAt":1,"entries":[{"identity":"a","incarnation":0,"live":{"state":"up","at":{"wall":1,"log'],
  ['wrong shape', '{"v":1,"entries":[{"identity":"a"}]}'],
])('a %s roster file is reported, set aside and rebuilt; the mapper starts', async (_kind, content) => {
  const file = join(dir, 'roster.json');
  await writeFile(file, content);
  await c.agent({ identity: 'a', actors: [echo()] }).start();
  const m = c.mapper({ roster: { store: file, saveDelay: 10 } });
  await m.start();
  await flush();
  expect(c.logger.warnings()).toContain('the stored roster could not be read; it was set aside and is rebuilt from heartbeats and gossip');
  expect((await readdir(dir)).some((f) => f.startsWith('roster.json.corrupt-'))).toBe(true);
  await until(async () => (await saved(file)).join() === 'a', 'a fresh roster file');
  await expect(m.request('/svc/who')).resolves.toBe('a');
});

test('saves are atomic: a reader never sees a partial file while saves go on', async () => {
  const file = join(dir, 'r.json');
  const store = new FileRosterStore(file);
  const entry = (i: number) => ({ identity: `agent-${i}`, incarnation: 0, live: { state: 'up' as const, at: { wall: i, logical: 0, node: 'm' } }, meta: { value: { routes: ['/x/y'], tags: [] }, at: { wall: i, logical: 0, node: 'm' } }, firstSeen: 1, lastUp: 1, lastDown: 0 });
  const big = Array.from({ length: 2_000 }, (_, i) => entry(i));
  let reads = 0;
  const writer = (async () => {
    for (let i = 0; i < 10; i++) await store.save(big.slice(0, 1_000 + i * 100));
  })();
  let done = false;
  void writer.finally(() => (done = true));
  while (!done) {
    const out = await store.load();
    expect(out.corrupt).toBeUndefined();
    reads++;
  }
  await writer;
  expect(reads).toBeGreaterThan(0);
  expect((await store.load()).entries).toHaveLength(1_900);
});

test('a custom store whose save throws (instead of rejecting) is a counted save failure, not a crash; nothing is saved or gossiped after close', async () => {
  const saves: string[] = [];
  let closed = false;
  const store = {
    where: 'test-store',
    load: async () => ({ entries: [] }),
    save: (entries: readonly unknown[]): Promise<void> => {
      saves.push(closed ? 'after close' : `save ${entries.length}`);
      throw new Error('sync store bug');
    },
    close: async () => {
      closed = true;
    },
  };
  const m = await c.startedMapper({ roster: { store, saveDelay: 10 } });
  await c.agent({ identity: 'a', actors: [defineActor('s', { x: () => 1 })] }).start();
  await m.waitForAgents({ timeout: 5_000 });
  for (let i = 0; i < 100 && (m.rosterStats()?.saveFailures ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(m.rosterStats()?.saveFailures).toBeGreaterThanOrEqual(1);
  await m.close();
  const after = saves.length;
  // An agent registering after the close reaches nobody's store.
  await c.agent({ identity: 'b', actors: [defineActor('s', { x: () => 1 })] }).start();
  await new Promise((r) => setTimeout(r, 50));
  expect(saves.length).toBe(after);
  expect(saves).not.toContain('after close');
});
