// The Control Tower's chart data: per-second counts, errors and latency percentiles per route,
// bounded routes and window, agent load points; fed by the mapper it observes.
import { defineActor, NaniteError } from '@nanite/core';
import { TrafficHistory } from '../src/control-tower/traffic-history';
import type { AgentRow } from '../src/control-tower/agent-board';

const row = (identity: string, state: 'up' | 'down', inFlight: number, pending: number): AgentRow =>
  ({ identity, state, inFlight, pending, load: 0.25, routes: [], tags: [], status: 0, concurrency: 4, pingInterval: 1000, lastSeen: 0, priority: 8 });

function feed(history: TrafficHistory, route: string, ms: number, failed = false): void {
  const now = performance.now();
  const spy = jest.spyOn(performance, 'now').mockReturnValueOnce(now).mockReturnValueOnce(now + ms);
  const scope = history.observeMapper().begin({ route, kind: 'request', traceparent: undefined })!;
  scope.end(failed ? new NaniteError('NANITE_ERR_HANDLER') : undefined);
  spy.mockRestore();
}

test('a second holds each route’s count, errors and p50/p99 (within 10%), and agent points', () => {
  const rows: AgentRow[] = [row('a', 'up', 2, 1), row('b', 'down', 0, 0)];
  const history = new TrafficHistory({ window: 3, maxRoutes: 2, maxAgents: 10, rows: () => rows });
  for (let i = 1; i <= 100; i++) feed(history, '/calc/add', i);
  feed(history, '/calc/fail', 5, true);
  const tick = history.tick(1_000);
  const add = tick.routes.find((r) => r[0] === '/calc/add')!;
  expect(add.slice(0, 3)).toEqual(['/calc/add', 100, 0]);
  expect(add[3]).toBeGreaterThanOrEqual(50);
  expect(add[3]).toBeLessThanOrEqual(55);
  expect(add[4]).toBeGreaterThanOrEqual(99);
  expect(add[4]).toBeLessThanOrEqual(109);
  expect(tick.routes.find((r) => r[0] === '/calc/fail')!.slice(0, 3)).toEqual(['/calc/fail', 1, 1]);
  expect(tick.agents).toEqual([['a', 1, 2, 1, 0.25], ['b', 0, 0, 0, 0.25]]);
  // An empty second lists no route.
  expect(history.tick(2_000).routes).toEqual([]);
});

test('routes past maxRoutes are charted as other; pushes are not charted; the window is bounded', () => {
  const history = new TrafficHistory({ window: 2, maxRoutes: 1, maxAgents: 10, rows: () => [] });
  feed(history, '/a/x', 1);
  feed(history, '/b/x', 1);
  feed(history, '/c/x', 1);
  expect(history.observeMapper().begin({ route: '/a/x', kind: 'push', traceparent: undefined })).toBeUndefined();
  expect(history.tick(1).routes.map((r) => [r[0], r[1]])).toEqual([['/a/x', 1], ['other', 2]]);
  history.tick(2);
  history.tick(3);
  expect(history.history().map((t) => t.t)).toEqual([2, 3]);
});

test('attached to a mapper with mapper.observe(), and detached', async () => {
  const { Agent, Mapper } = await import('@nanite/core');
  const url = `memory://traffic-${process.pid}-${Date.now()}`;
  const agent = new Agent({ transport: url, identity: 'w', actors: [defineActor('w', { ok: () => 1 })] });
  const mapper = new Mapper({ transport: url });
  await agent.start();
  await mapper.start();
  await mapper.waitForAgents({ count: 1, timeout: 2_000 });
  const history = new TrafficHistory({ window: 10, maxRoutes: 8, maxAgents: 8, rows: () => [] });
  const detach = mapper.observe(history);
  await mapper.request('/w/ok');
  await mapper.request('/w/ok');
  detach();
  await mapper.request('/w/ok');
  expect(history.tick(1).routes.map((r) => [r[0], r[1]])).toEqual([['/w/ok', 2]]);
  await mapper.close();
  await agent.close();
});
