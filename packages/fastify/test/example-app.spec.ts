import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Agent, Mapper, type ActorLike } from '@nanite/core';
import { EXAMPLE_DIR, startExample, type RunningExample } from './example-app';

// examples/fastify-app on memory:// (three demo agents in its process), as `npm run start` runs it.
describe('examples/fastify-app on memory://', () => {
  let app: RunningExample | undefined;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('answers its HTTP routes through Nanite, serves the Control Tower and drains on SIGTERM', async () => {
    app = await startExample({ NANITE_URL: `memory://example-${process.pid}` });
    const get = async (path: string) => {
      const res = await fetch(`${app!.base}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    expect(await get('/sum?a=2&b=3')).toEqual({ status: 200, body: { sum: 5 } });
    expect(await get('/sum?a=x&b=3')).toMatchObject({ status: 400, body: { code: 'NANITE_ERR_VALIDATION' } });
    const cluster = await get('/cluster');
    expect(Object.keys(cluster.body).sort()).toEqual(['http-app', 'worker-eu-west-1', 'worker-eu-west-2', 'worker-us-east-3']);
    const thumbs = await fetch(`${app.base}/thumbnails`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'cat.png', sizes: [64] }) });
    expect(await thumbs.json()).toMatchObject({ url: 'cat.png', thumbnails: ['cat.png@64'], agent: expect.stringMatching(/^worker-/) });
    const tower = await get('/nanite/api/agents');
    expect((tower.body.agents as Array<{ state: string }>).every((a) => a.state === 'up')).toBe(true);

    const stopped = await app.stop();
    app = undefined;
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
  }, 30_000);
});

// `nanite agent --actors examples/fastify-app/actors.js` (README) hosts the module's actor exports:
// instances (and classes), not factories, so `system` must be exported ready-made.
describe('examples/fastify-app/actors.js as a CLI actor module', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];

  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('exports ready actor instances serving /calc/add, /images/resize and /system/info', async () => {
    const exported = createRequire(__filename)(join(EXAMPLE_DIR, 'actors.js')) as Record<string, unknown>; // as the CLI loads it
    const instances = Object.values(exported).filter((v): v is ActorLike => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'nanite-actor');
    const url = `memory://example-actors-${process.pid}`;
    const agent = new Agent({ transport: url, identity: 'cli-like', actors: instances });
    const mapper = new Mapper({ transport: url, discoveryWindow: 0 });
    await agent.start();
    open.push({ close: () => agent.stop() });
    await mapper.start();
    open.push(mapper);
    await mapper.waitForAgents({ route: '/system/info', timeout: 2_000 });

    expect(agent.routes()).toEqual(expect.arrayContaining(['/calc/add', '/images/resize', '/system/info', '/system/sleep']));
    await expect(mapper.request('/system/info')).resolves.toMatchObject({ agent: 'cli-like', pid: process.pid });
  });
});
