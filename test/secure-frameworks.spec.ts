// Secure mode through the framework packages: the Fastify plugin (and its Control Tower) and
// NaniteModule.forRoot take `security`, see a secure agent, and call it. Certificates come from
// @nanite/cli's `certs` tooling. Imports packages by their public names only.
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, defineActor, type SecurityOptions } from '@nanite/core';
import { createCa, issueCertificate, type PemPair } from '@nanite/cli';
import { nanitePlugin, naniteControlTower, type TowerSnapshot } from '@nanite/fastify';
import { MapperService, NaniteModule } from '@nanite/nest';

let ca: PemPair;
const security = async (name: string, role: 'agent' | 'mapper' = 'agent'): Promise<SecurityOptions> => ({ ...(await issueCertificate(ca, name, role, 1)), ca: ca.cert });
let n = 0;
let closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  ca = await createCa('Framework Test CA', 1);
});
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

async function fred(url: string): Promise<Agent> {
  const agent = new Agent({ transport: url, security: await security('fred'), actors: [defineActor('echo', { hi: (p: unknown) => p })], pingInterval: 500 });
  await agent.start();
  closers.push(() => agent.stop());
  return agent;
}

test('the Fastify plugin and the Control Tower work in secure mode', async () => {
  const url = `memory://secure-fastify-${process.pid}-${++n}`;
  await fred(url);
  const app: FastifyInstance = Fastify();
  closers.push(() => app.close());
  await app.register(nanitePlugin, { url, security: await security('tower', 'mapper'), mapperOptions: { discoveryWindow: 0 } });
  await app.register(naniteControlTower);
  await app.ready();
  await app.nanite.waitForAgents({ route: '/echo/hi', timeout: 5_000 });
  const snapshot = (await app.inject({ method: 'GET', url: '/nanite/api/agents' })).json() as TowerSnapshot;
  expect(snapshot.agents.map((a) => a.identity)).toEqual(['fred']);
  const res = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/hi', payload: { secret: 1 } } });
  expect(res.statusCode).toBe(200);
  expect(res.body).toContain('"secret":1');
});

test('NaniteModule.forRoot in secure mode calls a secure agent', async () => {
  const url = `memory://secure-nest-${process.pid}-${++n}`;
  await fred(url);
  const moduleRef = await Test.createTestingModule({ imports: [NaniteModule.forRoot({ url, security: await security('nest', 'mapper'), mapper: { discoveryWindow: 0 } })] }).compile();
  await moduleRef.init();
  closers.push(() => moduleRef.close());
  const mapper = moduleRef.get(MapperService);
  await mapper.waitForAgents({ route: '/echo/hi', timeout: 5_000 });
  expect(await mapper.request('/echo/hi', 'x')).toBe('x');
});
