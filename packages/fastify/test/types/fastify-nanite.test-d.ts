// Type test of the public typings (dist .d.ts through the package's exports map): checked by
// tsc in types.spec.ts. `@ts-expect-error` lines fail the check when they stop being errors.
import { defineActor, type Agent, type AgentView, type FanOut, type Mapper, type Reply, type RoutesOf } from '@nanite/core';
import { createNaniteErrorHandler, nanitePlugin, naniteControlTower, naniteErrorHandler, type FastifyNanite, type TypedFastifyNanite } from '@nanite/fastify';
import { expectTypeOf } from 'expect-type';
import Fastify from 'fastify';

export const calc = defineActor('calc', { add: (p: [number, number]) => p[0] + p[1], info: () => ({ pid: 1 }) });
type Routes = RoutesOf<[typeof calc]>;

async function main(): Promise<void> {
  const app = Fastify();
  await app.register(nanitePlugin, { url: 'memory://types', actors: [], errorHandler: true });
  await app.register(naniteControlTower, { prefix: '/ops', auth: 'secret-token' });
  await app.register(naniteControlTower, {
    auth: async (request, reply) => {
      if (request.headers['x-operator'] !== 'ada') return reply.code(403).send({ message: 'operators only' });
    },
    readOnly: true,
    downRetention: 30_000,
  });

  // Declaration merging: fastify.nanite is typed on the instance...
  expectTypeOf(app.nanite).toEqualTypeOf<FastifyNanite>();
  expectTypeOf(app.nanite.mapper).toEqualTypeOf<Mapper>();
  expectTypeOf(app.nanite.agent).toEqualTypeOf<Agent | undefined>();
  expectTypeOf(app.nanite.agents()).toEqualTypeOf<AgentView[]>();
  // ...with request's overloads kept: a result type, or a fan-out for selector 'all'.
  expectTypeOf(app.nanite.request<number>('/calc/add', [1, 2])).toEqualTypeOf<Promise<number>>();
  expectTypeOf(app.nanite.request<number>('/calc/add', [1, 2], { selector: 'all' })).toEqualTypeOf<Promise<FanOut<number>>>();
  expectTypeOf(app.nanite.call<string>('/echo')).toEqualTypeOf<Promise<Reply<string>>>();
  expectTypeOf(app.nanite.push('/log', { line: 1 })).toEqualTypeOf<Promise<void>>();

  // ...and inside routes and encapsulated plugins.
  app.get('/sum', async function (request) {
    expectTypeOf(this.nanite).toEqualTypeOf<FastifyNanite>();
    expectTypeOf(request.server.nanite.request<number>('/calc/add')).toEqualTypeOf<Promise<number>>();
    return this.nanite.request<number>('/calc/add', [1, 2], { timeout: 1000, tags: ['eu'] });
  });
  await app.register(async (scope) => {
    expectTypeOf(scope.nanite).toEqualTypeOf<FastifyNanite>();
  });

  // The typed view: the same object, routes/payloads/results checked; bound methods destructure.
  const api = app.nanite.typed<Routes>();
  expectTypeOf(api).toEqualTypeOf<TypedFastifyNanite<Routes>>();
  expectTypeOf(api.request('/calc/add', [1, 2])).toEqualTypeOf<Promise<number>>();
  expectTypeOf(api.request('/calc/info', undefined, { selector: 'all' })).toEqualTypeOf<Promise<FanOut<{ pid: number }>>>();
  expectTypeOf(api.call('/calc/info')).toEqualTypeOf<Promise<Reply<{ pid: number }>>>();
  expectTypeOf(api.mapper).toEqualTypeOf<Mapper>();
  const { request } = api;
  expectTypeOf(request('/calc/add', [3, 4])).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error: unknown route
  void api.request('/calc/sub', [1, 2]);
  // @ts-expect-error: wrong payload
  void api.push('/calc/add', [1, '2']);
  // @ts-expect-error: misused result
  const text: string = await api.request('/calc/add', [1, 2]);
  void text;

  // Error handlers fit setErrorHandler.
  app.setErrorHandler(naniteErrorHandler);
  app.setErrorHandler(createNaniteErrorHandler({ statusCodes: { NANITE_ERR_HANDLER: 500 } }));

  // Wrong uses are rejected.
  // @ts-expect-error: the decoration is read-only data plus methods; mapper cannot be replaced
  app.nanite.mapper = {} as Mapper;
  // @ts-expect-error: the route must be a string
  void app.nanite.request(42);
  // @ts-expect-error: unknown selector name
  void app.nanite.request('/a', null, { selector: 'fastest' });
  // @ts-expect-error: unknown plugin option
  await app.register(nanitePlugin, { url: 'memory://types', agentz: [] });
  // @ts-expect-error: unknown error code in the status overrides
  createNaniteErrorHandler({ statusCodes: { NANITE_ERR_NOPE: 500 } });
  // @ts-expect-error: auth is a token string or a hook, not a number
  await app.register(naniteControlTower, { auth: 42 });
}

void main;
