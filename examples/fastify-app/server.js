// The Fastify example: HTTP routes that call Nanite actors through `fastify.nanite`, plus the
// Control Tower at /nanite.
//
//   npm run start -w examples/fastify-app                  memory://, three demo agents in-process
//   NANITE_URL=amqp://guest:guest@127.0.0.1:5672 npm run start -w examples/fastify-app
//                                                          RabbitMQ; run agents anywhere (nanite agent ...)
//
// Environment: PORT (3000), HOST (127.0.0.1), NANITE_URL (memory://fastify-app),
// NANITE_DEMO_AGENTS (3 on memory://, 0 otherwise), NANITE_DEMO_TRAFFIC (1 = background calls so
// the load bars move), NANITE_TOWER_TOKEN (protects the Control Tower API with a bearer token).
// @ts-check
'use strict';
const { Agent, redactUrl } = require('@nanite/core');
const { nanitePlugin, naniteControlTower } = require('@nanite/fastify');
const Fastify = require('fastify');
const { calc, images, systemActor } = require('./actors');

/**
 * Every route this app calls, inferred from the actors themselves (no code generation):
 * `api.request('/calc/add', ...)` is checked against calc's handler. TypeScript: `RoutesOf<[...]>`.
 * @typedef {import('@nanite/core').RoutesOf<[typeof calc, typeof images, ReturnType<typeof systemActor>]>} Routes
 */

const url = process.env.NANITE_URL || 'memory://fastify-app';
const onMemory = url.startsWith('memory:');
const demoAgents = Number(process.env.NANITE_DEMO_AGENTS ?? (onMemory ? 3 : 0));
const traffic = (process.env.NANITE_DEMO_TRAFFIC ?? '1') !== '0' && demoAgents > 0;

/** Agents that would normally be separate processes (on memory:// they share this one). @param {number} count */
async function startDemoAgents(count) {
  const places = [['eu-west', 'gpu'], ['eu-west'], ['us-east'], ['ap-south', 'gpu']];
  const agents = [];
  for (let i = 0; i < count; i++) {
    const tags = places[i % places.length];
    const agent = new Agent({
      transport: url,
      identity: `worker-${tags[0]}-${i + 1}`,
      tags,
      pingInterval: 2_000,
      concurrency: 8,
      actors: [calc, images, systemActor({ region: tags[0] })],
    });
    await agent.start();
    agents.push(agent);
  }
  return agents;
}

async function main() {
  const agents = await startDemoAgents(demoAgents);
  const app = Fastify({ logger: { level: process.env.LOG_LEVEL || 'info' } });

  // The mapper (and, with `actors`, an agent hosted by this app) + NaniteError -> HTTP mapping.
  await app.register(nanitePlugin, {
    url,
    actors: [systemActor({ role: 'http-app' })],
    agent: { identity: 'http-app', tags: ['web'], pingInterval: 2_000 },
    errorHandler: true,
  });
  await app.register(naniteControlTower, { prefix: '/nanite', auth: process.env.NANITE_TOWER_TOKEN || undefined });
  // The same `app.nanite`, typed by the route map (in TypeScript: `app.nanite.typed<Routes>()`).
  const api = /** @type {import('@nanite/fastify').TypedFastifyNanite<Routes>} */ (app.nanite.typed());

  // GET /sum?a=1&b=2 -> { sum: 3 }   (400 on bad input, 503 with no agent, 504 on timeout)
  app.get('/sum', async (request) => {
    const { a, b } = /** @type {{ a?: string, b?: string }} */ (request.query);
    return { sum: await api.request('/calc/add', [Number(a), Number(b)], { timeout: 2_000 }) };
  });

  // POST /thumbnails { "url": "https://..." } -> the thumbnails and which agent made them
  app.post('/thumbnails', async (request) => {
    // The actor checks the body at run time (NANITE_ERR_VALIDATION -> 400).
    const body = /** @type {{ url: string, sizes?: number[] }} */ (request.body);
    const { result, agent } = await api.call('/images/resize', body, { timeout: 10_000 });
    return { ...result, agent };
  });

  // GET /cluster -> every agent's /system/info (selector all: one outcome per agent)
  app.get('/cluster', async () => {
    const outcomes = await api.request('/system/info', null, { selector: 'all', timeout: 2_000 });
    return Object.fromEntries(Object.entries(outcomes).map(([id, o]) => [id, o.ok ? o.result : { error: o.error.toJSON() }]));
  });

  // GET /agents -> what the mapper knows
  app.get('/agents', async () => app.nanite.agents());

  app.get('/', async (_request, reply) => reply.redirect('/nanite/'));

  /** @type {NodeJS.Timeout | undefined} */
  let load;
  if (traffic) {
    // Background calls so the Control Tower has something to show; stops with the app.
    load = setInterval(() => {
      const burst = 1 + Math.floor(Math.random() * 6);
      for (let i = 0; i < burst; i++) {
        const sizes = Array.from({ length: 1 + Math.floor(Math.random() * 6) }, (_, k) => 64 << k);
        api.request('/images/resize', { url: `demo-${Date.now()}.png`, sizes }, { timeout: 10_000 }).catch(() => {
          // Demo traffic only: failures (e.g. during shutdown) do not matter.
        });
      }
    }, 1_500);
    load.unref();
  }

  const address = await app.listen({ port: Number(process.env.PORT || 3000), host: process.env.HOST || '127.0.0.1' });
  app.log.info({ controlTower: `${address}/nanite/`, transport: redactUrl(url) }, `Control Tower: ${address}/nanite/`);

  let stopping = false;
  /** @param {string} signal */
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'draining');
    clearInterval(load);
    await app.close(); // agent drains, in-flight HTTP requests finish, mapper and transport close
    for (const agent of agents) await agent.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
