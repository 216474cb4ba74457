/**
 * The roster across an outage of the mapper's own transport. Heartbeats sent while the mapper is
 * cut off are lost, not late, and the connection being up again brings none until the mapper's
 * link is attached again (on a cluster that can take several attempts): silence until then, and
 * until each agent's next heartbeat after it, is nobody's. Judged on the old clock, live agents
 * whose Ping fell into the outage were declared down, and the gossip made the other mappers drop
 * them too (the cluster test's SIGKILL case saw idempotent requests fail with NANITE_ERR_NO_AGENT).
 */
import { Roster, type RosterHooks } from '../src/mapper/roster/roster';
import type { AgentView } from '../src/selectors/selector';
import { RecordingLogger, step, useFakeTimers } from './helpers';

const view = (identity: string): AgentView => ({
  identity, routes: ['/svc/who'], tags: [], status: 0, inFlight: 0, concurrency: 1, priority: 1, pingInterval: 1_000, lastSeen: Date.now(), pending: 0, load: 0,
});

/** A roster whose transport is up while `link.up`; records what it asks of its mapper. */
function harness(): { roster: Roster; link: { up: boolean }; verdicts: string[] } {
  const link = { up: true };
  const verdicts: string[] = [];
  const hooks: RosterHooks = {
    suspend: (id) => verdicts.push(`suspect ${id}`),
    resume: (id) => verdicts.push(`resume ${id}`),
    drop: (id, why) => verdicts.push(`down ${id} ${why}`),
    emit: () => undefined,
    connected: () => link.up,
  };
  const roster = new Roster('m1', { gossip: false }, hooks, new RecordingLogger(), undefined);
  roster.start(undefined);
  return { roster, link, verdicts };
}

/** `ms` of time in which `alive` agents ping every second (while `delivered()`), in 100 ms steps. */
async function pings(roster: Roster, alive: string[], ms: number, delivered: () => boolean = () => true): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await step(100);
    if (Date.now() % 1_000 < 100 && delivered()) for (const id of alive) roster.heard(view(id), false);
  }
}

let h: ReturnType<typeof harness>;
beforeEach(() => {
  useFakeTimers();
  jest.setSystemTime(1_000_000);
  h = harness();
});
afterEach(async () => {
  await h.roster.close();
  jest.useRealTimers();
});

test('an outage that swallows Pings, then a slow re-attach, marks no live agent suspect or down', async () => {
  await pings(h.roster, ['a', 'b'], 10_000);
  expect(h.verdicts).toEqual([]);
  // Cut off for 0.6 s (a Ping lost), then the connection is up but the link takes 1.5 s more to
  // attach: still no Ping reaches the mapper.
  h.link.up = false;
  await pings(h.roster, ['a', 'b'], 600, () => false);
  h.link.up = true;
  await pings(h.roster, ['a', 'b'], 1_500, () => false);
  h.roster.reconnected();
  await pings(h.roster, ['a', 'b'], 5_000);
  expect(h.verdicts).toEqual([]);
});

test('an agent that died during the outage is still found down, within two intervals of the re-attach', async () => {
  await pings(h.roster, ['a', 'b'], 10_000);
  h.link.up = false;
  await pings(h.roster, ['a', 'b'], 600, () => false);
  h.link.up = true;
  await pings(h.roster, ['a', 'b'], 1_500, () => false);
  h.roster.reconnected();
  const back = Date.now();
  let downAt = 0;
  for (let t = 0; t < 5_000 && !downAt; t += 100) {
    await pings(h.roster, ['a'], 100);
    if (h.verdicts.includes('down b timeout')) downAt = Date.now();
  }
  expect(h.verdicts).toEqual(['suspect b', 'down b timeout']);
  expect(downAt - back).toBeLessThan(2_000);
});
