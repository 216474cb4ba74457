import { request as httpRequest } from 'node:http';
import { Agent, defineActor, Mapper, NaniteError } from '@nanite/core';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { nanitePlugin, naniteControlTower, type AgentRow, type TowerLine } from '../src';
import { busUrl, deferred, jsonLines, listen, runFixture } from './helpers';
import { SseClient } from './sse-client';

const echo = defineActor('echo', {
  say: (payload, ctx) => ({ said: payload, by: ctx.agent }),
  steps: async (payload, ctx) => {
    for (let i = 1; i <= Number(payload); i++) ctx.progress('step', i);
    return 'stepped';
  },
  fail: () => {
    throw new Error('nope');
  },
});

/** Starts an agent on `url`; returns it (the caller stops it). */
async function agentOn(url: string, identity: string, tags: string[] = []): Promise<Agent> {
  const agent = new Agent({ transport: url, identity, tags, actors: [echo], pingInterval: 1_000 });
  await agent.start();
  return agent;
}

function ndjson(body: string): TowerLine[] {
  return body.trim().split('\n').map((l) => JSON.parse(l) as TowerLine);
}

describe('naniteControlTower', () => {
  let app: FastifyInstance;
  let url: string;
  const agents: Agent[] = [];
  const clients: SseClient[] = [];

  beforeEach(() => {
    app = Fastify();
    url = busUrl();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await app.close();
    for (const a of agents.splice(0)) await a.stop();
  });

  async function setup(towerOptions: Parameters<typeof naniteControlTower>[1] = {}, identities: string[] = ['alpha', 'beta']): Promise<void> {
    for (const id of identities) agents.push(await agentOn(url, id, [id === 'alpha' ? 'eu' : 'us']));
    await app.register(nanitePlugin, { url, mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, towerOptions);
    await app.ready();
    if (identities.length) await app.nanite.waitForAgents({ count: identities.length, timeout: 2_000 });
  }

  describe('page', () => {
    it('serves the page at /nanite with its script and stylesheet, locked down by CSP', async () => {
      await setup();

      const page = await app.inject({ method: 'GET', url: '/nanite/' });
      const bare = await app.inject({ method: 'GET', url: '/nanite' });
      const js = await app.inject({ method: 'GET', url: '/nanite/app.js' });
      const css = await app.inject({ method: 'GET', url: '/nanite/style.css' });

      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.body).toContain('<base href="/nanite/">');
      expect(page.body).toContain('"auth":"none"');
      expect(bare.body).toBe(page.body);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.body).toContain("from './feed.js'");
      const feed = await app.inject({ method: 'GET', url: '/nanite/feed.js' });
      expect(feed.body).toContain("apiUrl('events')");
      const missing = await app.inject({ method: 'GET', url: '/nanite/nope.js' });
      const traversal = await app.inject({ method: 'GET', url: '/nanite/..%2F..%2Fpackage.json' });
      expect(missing.statusCode).toBe(404);
      expect(traversal.statusCode).toBe(404);
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    });

    it('lives under a custom prefix, including inside a prefixed scope', async () => {
      await app.register(nanitePlugin, { url });
      await app.register(async (admin) => {
        await admin.register(naniteControlTower, { prefix: 'tower/', title: 'Ops <tower>' });
      }, { prefix: '/admin' });

      const page = await app.inject({ method: 'GET', url: '/admin/tower/' });
      const api = await app.inject({ method: 'GET', url: '/admin/tower/api/agents' });

      expect(page.body).toContain('<base href="/admin/tower/">');
      expect(page.body).toContain('<title>Ops &#60;tower&#62;</title>');
      expect(api.statusCode).toBe(200);
    });

    it("puts a title with `$'`, `$&` and `$$` in the page verbatim (no replacement patterns)", async () => {
      await setup({ title: "Ops $' $& $$ $`" }, []);

      const page = await app.inject({ method: 'GET', url: '/nanite/' });

      expect(page.body).toContain('<title>Ops $&#39; $&#38; $$ $`</title>');
      expect(page.body).toContain('"title":"Ops $\' $& $$ $`"');
      expect(page.body).not.toContain('%TITLE%');
      expect(page.body).not.toContain('%CONFIG%');
    });

    it("serves from the root with prefix '/' (as `nanite admin` does)", async () => {
      await setup({ prefix: '/' }, []);

      const page = await app.inject({ method: 'GET', url: '/' });
      const api = await app.inject({ method: 'GET', url: '/api/agents' });

      expect(page.body).toContain('<base href="/">');
      expect(api.statusCode).toBe(200);
    });

    it('needs a mapper: from nanitePlugin or the mapper option', async () => {
      await expect(app.register(naniteControlTower).ready()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/register nanitePlugin before it, or pass \{ mapper \}/) });
    });

    it('works with a mapper passed in, without nanitePlugin', async () => {
      const mapper = new Mapper({ transport: url });
      await mapper.start();
      try {
        agents.push(await agentOn(url, 'solo'));
        await mapper.waitForAgents({ timeout: 2_000 });
        await app.register(naniteControlTower, { mapper });

        const res = await app.inject({ method: 'GET', url: '/nanite/api/agents' });

        expect((res.json() as { agents: AgentRow[] }).agents.map((a) => a.identity)).toEqual(['solo']);
      } finally {
        await app.close();
        await mapper.close();
      }
    });
  });

  describe('GET api/agents', () => {
    it('lists the live agents with their load, routes, tags and heartbeat', async () => {
      await setup();

      const res = await app.inject({ method: 'GET', url: '/nanite/api/agents' });

      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const body = res.json() as { now: number; mapper: { identity: string }; agents: AgentRow[] };
      expect(body.mapper.identity).toBe(app.nanite.mapper.identity);
      expect(body.agents).toEqual([
        expect.objectContaining({ identity: 'alpha', state: 'up', tags: ['eu'], routes: ['/echo/say', '/echo/steps', '/echo/fail'], load: expect.any(Number), lastSeen: expect.any(Number) }),
        expect.objectContaining({ identity: 'beta', state: 'up', tags: ['us'] }),
      ]);
    });
  });

  describe('GET api/events', () => {
    it('streams a snapshot, then agents coming up, going down (kept a while) and removed', async () => {
      await setup({ downRetention: 100 }, ['alpha']);
      const base = await listen(app);
      const events = await SseClient.open(`${base}/nanite/api/events`);
      clients.push(events);

      expect(events.httpStatus).toBe(200);
      expect(events.type).toBe('text/event-stream; charset=utf-8');
      expect(events.headers.get('cache-control')).toBe('no-store, no-transform');
      const snapshot = await events.next((e) => e.event === 'snapshot', true);
      expect((snapshot.data as { agents: AgentRow[] }).agents.map((a) => a.identity)).toEqual(['alpha']);

      const up = events.next((e) => e.event === 'agent:up');
      const gamma = await agentOn(url, 'gamma');
      expect((await up).data).toMatchObject({ identity: 'gamma', state: 'up' });

      const down = events.next((e) => e.event === 'agent:down');
      const removed = events.next((e) => e.event === 'agent:removed');
      await gamma.stop();
      expect((await down).data).toMatchObject({ identity: 'gamma', state: 'down', downReason: 'unregistered', downAt: expect.any(Number) });
      const listed = (await app.inject({ method: 'GET', url: '/nanite/api/agents' })).json() as { agents: AgentRow[] };
      expect(listed.agents.map((a) => `${a.identity}:${a.state}`)).toEqual(['alpha:up', 'gamma:down']);
      expect((await removed).data).toEqual({ identity: 'gamma' });
    });

    it('shows a returning agent as up again', async () => {
      await setup({}, []);
      const base = await listen(app);
      const events = await SseClient.open(`${base}/nanite/api/events`);
      clients.push(events);
      const first = await agentOn(url, 'phoenix');
      await events.next((e) => e.event === 'agent:up' && (e.data as AgentRow).identity === 'phoenix', true);
      const down = events.next((e) => e.event === 'agent:down');
      await first.stop();
      await down;

      const back = events.next((e) => e.event === 'agent:up');
      agents.push(await agentOn(url, 'phoenix'));

      expect((await back).data).toMatchObject({ identity: 'phoenix', state: 'up' });
      const listed = (await app.inject({ method: 'GET', url: '/nanite/api/agents' })).json() as { agents: AgentRow[] };
      expect(listed.agents.map((a) => `${a.identity}:${a.state}`)).toEqual(['phoenix:up']);
    });

    it('sends heartbeat comments', async () => {
      await setup({ heartbeatInterval: 20 }, []);
      const base = await listen(app);
      const events = await SseClient.open(`${base}/nanite/api/events`);
      clients.push(events);

      const beat = await events.next((e) => e.event === 'comment');

      expect(beat.comment).toMatch(/^ping \d+$/);
    });

    it('ends open streams when the server closes, so close() does not hang', async () => {
      await setup({}, ['alpha']);
      const base = await listen(app);
      const events = await SseClient.open(`${base}/nanite/api/events`);
      clients.push(events);
      await events.next((e) => e.event === 'snapshot', true);

      await app.close();

      await events.ended; // the server ended the stream; the client did not abort it
      // Every stream starts with the agents and the traffic history the charts draw.
      expect(events.events.filter((e) => e.event !== 'comment').map((e) => e.event)).toEqual(['snapshot', 'traffic:history']);
    });
  });

  describe('POST api/request', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/nanite/api/request', payload: body as object, headers });

    it('streams progress then the result of a single-agent request', async () => {
      await setup({}, ['alpha']);

      const res = await post({ route: '/echo/steps', payload: 2 });

      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      const lines = ndjson(res.body);
      expect(lines.map((l) => l.type)).toEqual(['start', 'progress', 'progress', 'result', 'end']);
      expect(lines[0]).toMatchObject({ type: 'start', route: '/echo/steps', selector: 'least_loaded', agents: null });
      expect(lines[1]).toMatchObject({ type: 'progress', agent: 'alpha', key: 'step', value: 1 });
      expect(lines[3]).toMatchObject({ type: 'result', agent: 'alpha', ok: true, result: 'stepped' });
      expect(lines[4]).toMatchObject({ type: 'end', ok: 1, failed: 0 });
    });

    it("reports one result per agent for selector 'all', honouring tags", async () => {
      await setup({}, ['alpha', 'beta']);

      const all = ndjson((await post({ route: '/echo/say', payload: { hi: 1 }, selector: 'all' })).body);
      const eu = ndjson((await post({ route: '/echo/say', payload: 'x', selector: 'all', tags: ['eu'] })).body);

      expect(all[0]).toMatchObject({ type: 'start', selector: 'all', agents: ['alpha', 'beta'] });
      const results = all.filter((l) => l.type === 'result');
      expect(results).toHaveLength(2);
      expect(results).toEqual(expect.arrayContaining([
        expect.objectContaining({ agent: 'alpha', ok: true, result: { said: { hi: 1 }, by: 'alpha' } }),
        expect.objectContaining({ agent: 'beta', ok: true, result: { said: { hi: 1 }, by: 'beta' } }),
      ]));
      expect(all.at(-1)).toMatchObject({ type: 'end', ok: 2, failed: 0 });
      expect(eu[0]).toMatchObject({ agents: ['alpha'] });
    });

    it('sends to a chosen target', async () => {
      await setup({}, ['alpha', 'beta']);

      const lines = ndjson((await post({ route: '/echo/say', payload: 1, selector: 'target', target: 'beta' })).body);

      expect(lines.find((l) => l.type === 'result')).toMatchObject({ agent: 'beta', ok: true });
    });

    it('reports Nanite errors as failed results', async () => {
      await setup({}, ['alpha']);

      const none = ndjson((await post({ route: '/nobody/home', selector: 'all' })).body);
      const single = ndjson((await post({ route: '/nobody/home' })).body);

      expect(none[1]).toMatchObject({ type: 'result', agent: null, ok: false, error: { code: 'NANITE_ERR_NO_AGENT' } });
      expect(none[2]).toMatchObject({ type: 'end', ok: 0, failed: 1 });
      expect(single[1]).toMatchObject({ type: 'result', ok: false, error: { code: 'NANITE_ERR_NO_AGENT' } });
    });

    it('names the agent whose handler failed', async () => {
      await setup({}, ['alpha', 'beta']);

      const leastLoaded = ndjson((await post({ route: '/echo/fail', selector: 'round_robin' })).body);
      const targeted = ndjson((await post({ route: '/echo/fail', selector: 'target', target: 'beta' })).body);

      expect(leastLoaded[1]).toMatchObject({ type: 'result', agent: expect.stringMatching(/^(alpha|beta)$/), ok: false, error: { code: 'NANITE_ERR_HANDLER', message: 'nope' } });
      expect(targeted[1]).toMatchObject({ type: 'result', agent: 'beta', ok: false, error: { code: 'NANITE_ERR_HANDLER' } });
    });

    it('a BigInt progress value or unserializable error data reaches the page as a NANITE_ERR_PAYLOAD error or a note, then ends the stream', async () => {
      // Since #10 memory:// refuses what a wire could not carry, as amqp:// does: no BigInt reaches the tower.
      const odd = defineActor('odd', {
        big: (_payload, ctx) => {
          ctx.progress('at', 1n);
          return { n: 2n ** 70n };
        },
        loop: () => {
          const data: Record<string, unknown> = { big: 1n };
          data.self = data;
          throw new NaniteError('NANITE_ERR_VALIDATION', { message: 'circular', data });
        },
      });
      const agent = new Agent({ transport: url, identity: 'odd-1', actors: [odd] });
      await agent.start();
      agents.push(agent);
      await setup({}, []);
      await app.nanite.waitForAgents({ route: '/odd/loop', timeout: 2_000 });

      const big = ndjson((await post({ route: '/odd/big' })).body);
      const loopAll = ndjson((await post({ route: '/odd/loop', selector: 'all' })).body);
      const loopOne = ndjson((await post({ route: '/odd/loop' })).body);

      expect(big.map((l) => l.type)).toEqual(['start', 'result', 'end']);
      expect(big[1]).toMatchObject({ type: 'result', ok: false, error: { code: 'NANITE_ERR_PAYLOAD', message: 'The progress value "at" cannot cross the wire: a BigInt' } });
      expect(big[2]).toMatchObject({ type: 'end', ok: 0, failed: 1 });
      for (const lines of [loopAll, loopOne]) {
        expect(lines.map((l) => l.type)).toEqual(['start', 'result', 'end']);
        expect(lines[1]).toMatchObject({ type: 'result', agent: 'odd-1', ok: false, error: { code: 'NANITE_ERR_VALIDATION', message: 'circular', data: { dropped: 'The error data cannot cross the wire: a BigInt at $.big' } } });
        expect(lines[2]).toMatchObject({ type: 'end', ok: 0, failed: 1 });
      }
    });

    it("sends selector 'all' to many agents without a MaxListenersExceededWarning", async () => {
      // 12 calls listen on the request's one abort signal (Node warns past 10). In a child process:
      // Jest's sandboxed process does not receive warnings.
      const run = await runFixture('tower-fan-out.js');

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(jsonLines(run.stdout)).toEqual([{ warnings: [], end: expect.objectContaining({ type: 'end', ok: 12, failed: 0 }) }]);
    }, 20_000);

    it.each([
      ['no route', { payload: 1 }],
      ['a route without a leading slash', { route: 'echo/say' }],
      ['an unknown selector', { route: '/echo/say', selector: 'fastest' }],
      ['a timeout above maxTimeout', { route: '/echo/say', timeout: 10_000_000 }],
    ])('rejects a body with %s (400)', async (_what, body) => {
      await setup({}, []);

      const res = await post(body);

      expect(res.statusCode).toBe(400);
    });

    it('is refused on a read-only tower', async () => {
      await setup({ readOnly: true }, ['alpha']);

      const res = await post({ route: '/echo/say' });
      const page = await app.inject({ method: 'GET', url: '/nanite/' });

      expect(res.statusCode).toBe(403);
      expect(page.body).toContain('"readOnly":true');
    });

    it('cancels the Nanite request when the page goes away mid-answer', async () => {
      const started = deferred();
      const aborted = deferred<unknown>();
      const hang = defineActor('hang', {
        forever: (_p, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted.resolve(ctx.signal.reason);
              resolve('stopped');
            });
            started.resolve();
          }),
      });
      const agent = new Agent({ transport: url, identity: 'hanger', actors: [hang] });
      await agent.start();
      agents.push(agent);
      await setup({}, []);
      await app.nanite.waitForAgents({ route: '/hang/forever', timeout: 2_000 });
      const base = new URL(await listen(app));
      // node:http without keep-alive, so the client leaves no pooled socket behind once it hangs up.
      const req = httpRequest({ host: base.hostname, port: base.port, path: '/nanite/api/request', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
      const firstLine = new Promise<string>((resolve) => req.on('response', (res) => res.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')))));
      req.end(JSON.stringify({ route: '/hang/forever', timeout: 60_000 }));
      await started.promise;
      expect(JSON.parse(await firstLine)).toMatchObject({ type: 'start', route: '/hang/forever' });

      req.destroy(); // the page goes away

      await expect(aborted.promise).resolves.toMatchObject({ code: 'NANITE_ERR_ABORTED' });
    });
  });

  describe('auth', () => {
    it('with a token: the API needs `Authorization: Bearer <token>`, the page shell does not', async () => {
      await setup({ auth: 's3cret' }, ['alpha']);

      const none = await app.inject({ method: 'GET', url: '/nanite/api/agents' });
      const wrong = await app.inject({ method: 'GET', url: '/nanite/api/agents', headers: { authorization: 'Bearer nope' } });
      const right = await app.inject({ method: 'GET', url: '/nanite/api/agents', headers: { authorization: 'Bearer s3cret' } });
      const request = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say' }, headers: { authorization: 'bearer s3cret' } });
      const deniedRequest = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say' } });
      const deniedEvents = await app.inject({ method: 'GET', url: '/nanite/api/events' });
      const page = await app.inject({ method: 'GET', url: '/nanite/' });

      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="nanite-control-tower"');
      expect(none.json()).toMatchObject({ message: 'A bearer token is required' });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ message: 'Invalid token' });
      expect(right.statusCode).toBe(200);
      expect(request.statusCode).toBe(200);
      expect(ndjson(request.body).at(-1)).toMatchObject({ type: 'end', ok: 1 });
      expect(deniedRequest.statusCode).toBe(401);
      expect(deniedEvents.statusCode).toBe(401);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('"auth":"token"');
    });

    it('with a token: opens the event stream for the right token', async () => {
      await setup({ auth: 's3cret' }, ['alpha']);
      const base = await listen(app);
      const events = await SseClient.open(`${base}/nanite/api/events`, { authorization: 'Bearer s3cret' });
      clients.push(events);

      expect(events.httpStatus).toBe(200);
      await expect(events.next((e) => e.event === 'snapshot', true)).resolves.toBeDefined();
    });

    it('with a hook: runs it before every API route and obeys its answer', async () => {
      const seen: string[] = [];
      await setup(
        {
          auth: async (request, reply) => {
            seen.push(request.url);
            if (request.headers['x-operator'] !== 'ada') return reply.code(403).send({ message: 'operators only' });
          },
        },
        ['alpha'],
      );

      const denied = await app.inject({ method: 'GET', url: '/nanite/api/agents' });
      const allowed = await app.inject({ method: 'GET', url: '/nanite/api/agents', headers: { 'x-operator': 'ada' } });
      const deniedRequest = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say' } });
      const page = await app.inject({ method: 'GET', url: '/nanite/' });

      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toEqual({ message: 'operators only' });
      expect(allowed.statusCode).toBe(200);
      expect(deniedRequest.statusCode).toBe(403);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('"auth":"hook"');
      expect(seen).toEqual(['/nanite/api/agents', '/nanite/api/agents', '/nanite/api/request']);
    });

    it('with a hook that throws: the error decides the status', async () => {
      await setup({ auth: async () => Promise.reject(Object.assign(new Error('who are you?'), { statusCode: 401 })) }, []);

      const res = await app.inject({ method: 'GET', url: '/nanite/api/agents' });

      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ message: 'who are you?' });
    });

    const denyUnlessAda = (request: FastifyRequest): void => {
      if (request.headers['x-operator'] !== 'ada') throw Object.assign(new Error('operators only'), { statusCode: 401 });
    };

    it.each([
      ['a plain sync function', denyUnlessAda],
      ['an async function', async (request: FastifyRequest) => denyUnlessAda(request)],
    ])('with %s as hook: denies by throwing and lets allowed requests through (they get answered)', async (_what, auth) => {
      await setup({ auth }, ['alpha']);

      const denied = await app.inject({ method: 'GET', url: '/nanite/api/agents' });
      const allowed = await app.inject({ method: 'GET', url: '/nanite/api/agents', headers: { 'x-operator': 'ada' } });
      const request = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say', payload: 1 }, headers: { 'x-operator': 'ada' } });

      expect(denied.statusCode).toBe(401);
      expect(denied.json()).toMatchObject({ message: 'operators only' });
      expect(allowed.statusCode).toBe(200);
      expect((allowed.json() as { agents: AgentRow[] }).agents.map((a) => a.identity)).toEqual(['alpha']);
      expect(request.statusCode).toBe(200);
      expect(ndjson(request.body).at(-1)).toMatchObject({ type: 'end', ok: 1 });
    });

    it('with a sync hook that sends the reply itself: denies without waiting for anything', async () => {
      await setup({ auth: (request, reply) => void (request.headers['x-operator'] === 'ada' || reply.code(403).send({ message: 'no' })) }, []);

      const denied = await app.inject({ method: 'GET', url: '/nanite/api/agents' });
      const allowed = await app.inject({ method: 'GET', url: '/nanite/api/agents', headers: { 'x-operator': 'ada' } });

      expect(denied.statusCode).toBe(403);
      expect(allowed.statusCode).toBe(200);
    });

    it.each([
      ['a token', 's3cret' as const],
      ['a hook', denyUnlessAda],
    ])('with %s: an unauthenticated request with an invalid body gets 401, not a validation error', async (_what, auth) => {
      await setup({ auth }, []);

      const res = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: 'no-slash', bogus: true } });
      const malformed = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: '{not json', headers: { 'content-type': 'application/json' } });

      expect(res.statusCode).toBe(401);
      expect(malformed.statusCode).toBe(401);
    });

    // `auth: process.env.TOWER_TOKEN ?? null` once turned both the token check and the Host guard
    // off (the guard ran only for undefined, the hook only for a truthy auth): POST api/request was
    // open to any page through DNS rebinding. `auth: 123` answered 500 to every API request.
    it.each<[string, unknown]>([
      ['null', null],
      ['false', false],
      ['0', 0],
      ['123', 123],
      ['an object', { token: 's3cret' }],
      ['a token with a trailing newline (read from a file)', 's3cret\n'],
    ])('refuses auth %s at registration, naming auth, rather than serving the API unguarded', async (_what, auth) => {
      await app.register(nanitePlugin, { url });
      const failure: unknown = await app.register(naniteControlTower, { auth: auth as string }).ready().then(
        () => 'registered',
        (err: unknown) => err,
      );

      expect(failure).toBeInstanceOf(NaniteError);
      expect(failure).toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/naniteControlTower option auth (must be a bearer token|is invalid)/) });
      expect((failure as Error).message).not.toContain('s3cret'); // a token is never echoed
    });

    it('with auth left out, a foreign Host still gets 403 on POST api/request, and auth: undefined is the same (the guard is on)', async () => {
      await setup({ auth: undefined }, ['alpha']);

      const rebound = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say' }, headers: { host: 'evil.example' } });
      const local = await app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/echo/say' }, headers: { host: 'localhost:3000' } });

      expect(rebound.statusCode).toBe(403);
      expect(local.statusCode).toBe(200);
    });

    it('rejects an empty token at registration', async () => {
      await app.register(nanitePlugin, { url });
      await expect(app.register(naniteControlTower, { auth: '' }).ready()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT', message: expect.stringMatching(/token must not be empty/) });
    });
  });
});
