// Actors calling actors from an agent hosted by the Fastify plugin: an HTTP route calls /front/run
// on the app's own agent, whose handler calls /back/run on another agent; deadline and trace id
// travel along. Imports packages by their public names only.
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, defineActor, type RequestContext } from '@nanite/core';
import { nanitePlugin } from '@nanite/fastify';

let app: FastifyInstance;
let back: Agent;

afterEach(async () => {
  await app?.close();
  await back?.stop();
});

test('a handler of the Fastify-hosted agent calls another actor, carrying trace id and deadline', async () => {
  const url = `memory://fastify-nested-${process.pid}`;
  const seen: Array<{ traceId: string; hops: number; deadline: number }> = [];
  back = new Agent({ transport: url, identity: 'back', actors: [defineActor('back', {
    run: (p: unknown, ctx: RequestContext) => {
      seen.push({ traceId: ctx.traceId, hops: ctx.hops, deadline: ctx.deadline });
      return `back(${String(p)})`;
    },
  })] });
  await back.start();
  app = Fastify();
  await app.register(nanitePlugin, {
    url,
    actors: [defineActor('front', { run: async (p: unknown, ctx: RequestContext) => `front(${await ctx.request<string>('/back/run', p)})` })],
    agentOptions: { identity: 'front' },
  });
  app.get('/chain', async () => ({ result: await app.nanite.request<string>('/front/run', 'x', { traceId: 'http-1', timeout: 2_000 }) }));
  await app.ready();
  await app.nanite.waitForAgents({ count: 2, timeout: 2_000 });
  const before = Date.now();
  const res = await app.inject({ method: 'GET', url: '/chain' });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ result: 'front(back(x))' });
  expect(seen).toEqual([{ traceId: 'http-1', hops: 1, deadline: expect.any(Number) }]);
  expect(seen[0]!.deadline).toBeLessThanOrEqual(before + 2_000 + 50);
});
