import { once } from 'node:events';
import { Agent as HttpAgent, get as httpGet, type IncomingMessage } from 'node:http';
import { Agent, defineActor, Mapper, MemoryTransport, NaniteError } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin } from '../src';
import { busUrl, closeMidRequest, deferred, jsonLines, listen, LogCapture, runFixture, until, within } from './helpers';

const calc = defineActor('calc', {
  add: (payload) => {
    const [a, b] = payload as [number, number];
    return a + b;
  },
});

describe('nanitePlugin', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  let app: FastifyInstance;

  beforeEach(() => {
    app = Fastify();
  });

  afterEach(async () => {
    await app.close();
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('decorates fastify.nanite and calls a hosted actor from a route', async () => {
    await app.register(nanitePlugin, { url: busUrl(), actors: [calc], agentOptions: { identity: 'calc-1' } });
    app.get('/add', async (req) => {
      const q = req.query as { a: string; b: string };
      return { sum: await app.nanite.request<number>('/calc/add', [Number(q.a), Number(q.b)]) };
    });
    await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });

    const res = await app.inject({ method: 'GET', url: '/add?a=2&b=3' });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sum: 5 });
    expect(app.nanite.agent?.identity).toBe('calc-1');
    expect(app.nanite.agents().map((a) => a.identity)).toEqual(['calc-1']);
    const { call } = app.nanite; // bound: usable destructured
    await expect(call('/calc/add', [1, 1])).resolves.toEqual({ result: 2, agent: 'calc-1', attempts: 1 });
    await expect(app.nanite.request('/calc/add', [1, 2], { selector: 'all' })).resolves.toEqual({ 'calc-1': { ok: true, result: 3 } });
    // The typed view costs nothing at run time: it is fastify.nanite itself.
    expect(app.nanite.typed()).toBe(app.nanite);
    const { survey } = app.nanite; // bound too
    await expect(survey('/calc/add', [2, 2], { timeout: 200 }).collect()).resolves.toEqual([{ agent: 'calc-1', ok: true, result: 4, via: 'broker' }]);
  });

  it('without actors hosts no agent and reaches agents elsewhere on the bus', async () => {
    const url = busUrl();
    const agent = new Agent({ transport: url, actors: [calc], identity: 'remote' });
    await agent.start();
    open.push({ close: () => agent.stop() });
    await app.register(nanitePlugin, { url });
    await app.nanite.waitForAgents({ route: '/calc/add', timeout: 2_000 });

    expect(app.nanite.agent).toBeUndefined();
    await expect(app.nanite.call('/calc/add', [4, 4])).resolves.toMatchObject({ result: 8, agent: 'remote' });
    await app.nanite.push('/calc/add', [0, 0]);
  });

  it('unregisters the hosted agent and closes its mapper on close()', async () => {
    const url = busUrl();
    const watcher = new Mapper({ transport: url });
    await watcher.start();
    open.push(watcher);
    await app.register(nanitePlugin, { url, actors: [calc], agentOptions: { identity: 'leaving' } });
    await watcher.waitForAgents({ count: 1, timeout: 2_000 });
    const down = new Promise<string>((resolve) => watcher.once('agent:down', (view, reason) => resolve(`${view.identity}:${reason}`)));
    const mapper = app.nanite.mapper;

    await app.close();

    await expect(down).resolves.toBe('leaving:unregistered');
    expect(mapper.isRunning).toBe(false);
    expect(app.nanite.agent?.isRunning).toBe(false);
  });

  it('reuses a given mapper, agent and transport and leaves them running after close()', async () => {
    const transport = new MemoryTransport({ name: busUrl().slice('memory://'.length) });
    const mapper = new Mapper({ transport });
    const agent = new Agent({ transport, actors: [calc] });
    open.push(transport, mapper, { close: () => agent.stop() });
    await mapper.start();
    await app.register(nanitePlugin, { mapper, agent });
    await app.ready();
    expect(app.nanite.mapper).toBe(mapper);
    expect(app.nanite.agent).toBe(agent);
    expect(agent.isRunning).toBe(true); // started by the plugin because it was not running

    await app.close();

    expect(mapper.isRunning).toBe(true);
    expect(agent.isRunning).toBe(true);
    await expect(mapper.request('/calc/add', [2, 2])).resolves.toBe(4);
  });

  it('hosts actors on a given transport instance without closing it', async () => {
    const transport = new MemoryTransport({ name: busUrl().slice('memory://'.length) });
    open.push(transport);
    await app.register(nanitePlugin, { transport, actors: [calc] });
    await app.ready();
    await app.close();

    // The transport is still connected: a new mapper and agent can use it.
    const agent = new Agent({ transport, actors: [calc] });
    const mapper = new Mapper({ transport });
    open.push(mapper, { close: () => agent.stop() });
    await mapper.start();
    await agent.start();
    await expect(mapper.request('/calc/add', [3, 3])).resolves.toBe(6);
  });

  it.each([
    ['neither url, transport nor mapper', {}],
    ['both url and transport', { url: 'memory://x', transport: new MemoryTransport() }],
    ['actors without a transport', { mapper: new Mapper({ transport: 'memory://unused' }), actors: [calc] }],
  ])('rejects %s with NANITE_ERR_INVALID_ARGUMENT', async (_name, options) => {
    await expect(app.register(nanitePlugin, options).ready()).rejects.toMatchObject({ code: 'NANITE_ERR_INVALID_ARGUMENT' });
  });

  it('fails registration with the transport error and leaves nothing open', async () => {
    await expect(app.register(nanitePlugin, { url: 'nats://127.0.0.1:4222' }).ready()).rejects.toBeInstanceOf(NaniteError);
  });

  it('rejects a second registration on the same instance without starting (or leaking) anything', async () => {
    const logs = new LogCapture();
    const logged = Fastify({ logger: { level: 'info', stream: logs } });
    const url = busUrl();
    const watcher = new Mapper({ transport: url });
    await watcher.start();
    open.push(watcher);
    try {
      await logged.register(nanitePlugin, { url: busUrl(), actors: [calc] });
      await expect(logged.register(nanitePlugin, { url, actors: [calc], agentOptions: { identity: 'second' } }).ready()).rejects.toMatchObject({ code: 'FST_ERR_DEC_ALREADY_PRESENT' });
    } finally {
      await logged.close();
    }

    // Only the first registration started a mapper and agent, and it was closed with the app.
    expect(logs.lines.filter((l) => l.msg === 'nanite mapper and agent started')).toHaveLength(1);
    expect(logs.lines.filter((l) => l.msg === 'nanite closed').length).toBeGreaterThanOrEqual(1);
    expect(watcher.agents()).toEqual([]);
  });

  it('reports a failing agent stop through close(), never as an unhandled rejection that kills the process', async () => {
    // In a child process: Node's default there (--unhandled-rejections=throw) is what production
    // gets, and Jest's own rejection handlers cannot hide a crash. The fixture's hosted agent
    // fails to stop while an HTTP request is in flight, so onClose runs well after the failure.
    const run = await runFixture('failing-agent-stop.js');

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.some((l) => l.msg === 'nanite: agent stop failed during close')).toBe(true);
    expect(lines.at(-1)).toEqual({ outcome: 'close rejected: pause failed', body: { ok: true } });
  }, 20_000);

  it("logs through Fastify's logger with plugin bindings", async () => {
    const logs = new LogCapture();
    const logged = Fastify({ logger: { level: 'info', stream: logs } });
    try {
      await logged.register(nanitePlugin, { url: busUrl(), actors: [calc] });
      await logged.ready();
    } finally {
      await logged.close();
    }
    const started = logs.lines.find((l) => l.msg === 'nanite mapper and agent started');
    expect(started).toMatchObject({ plugin: '@nanite/fastify', routes: ['/calc/add'] });
    expect(logs.lines.some((l) => l.msg === 'nanite closed' && l.plugin === '@nanite/fastify')).toBe(true);
  });
});

describe('nanitePlugin shutdown order', () => {
  const open: Array<{ close(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  it('completes an in-flight HTTP request that waits on a slow hosted actor when close() is called mid-request', async () => {
    const url = busUrl();
    const events: string[] = [];
    const started = deferred();
    const release = deferred();
    const slow = defineActor('slow', {
      work: async () => {
        events.push('handler started');
        started.resolve();
        await release.promise;
        events.push('handler finished');
        return 'done';
      },
    });
    const watcher = new Mapper({ transport: url });
    await watcher.start();
    open.push(watcher);
    watcher.on('agent:down', (view, reason) => events.push(`agent ${reason}`));
    const app = Fastify();
    open.push(app);
    await app.register(nanitePlugin, { url, actors: [slow], agentOptions: { identity: 'slow-1' } });
    app.get('/work', async () => ({ result: await app.nanite.request('/slow/work') }));
    app.addHook('onResponse', async () => {
      events.push(`http response sent (mapper ${app.nanite.mapper.isRunning ? 'open' : 'closed'})`);
    });
    // preClose hooks run in registration order: this one runs after the plugin's.
    const preClosed = deferred();
    app.addHook('preClose', async () => preClosed.resolve());
    const base = await listen(app);
    await app.nanite.waitForAgents({ route: '/slow/work', timeout: 2_000 });

    const response = fetch(`${base}/work`).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    await started.promise;
    const closed = app.close().then(() => events.push('fastify closed'));
    await preClosed.promise;
    // Answer only once the server has stopped listening, so the response goes out on a
    // keep-alive connection that was busy when server.close() ran (Node leaves those open).
    await until(() => !app.server.listening, 'the server to stop listening');
    // Draining: the agent takes no new Nanite work, its in-flight handler still runs.
    expect(app.nanite.agent?.isRunning).toBe(false);
    expect(events).toEqual(['handler started']);
    release.resolve();

    await expect(response).resolves.toEqual({ status: 200, body: { result: 'done' } });
    await closed;
    // The handler ran to completion, the HTTP answer went out while the mapper was still open, the
    // agent unregistered after its handler finished, and close() resolved last.
    expect(events.slice(0, 2)).toEqual(['handler started', 'handler finished']);
    expect(new Set(events.slice(2, 4))).toEqual(new Set(['http response sent (mapper open)', 'agent unregistered']));
    expect(events[4]).toBe('fastify closed');
    expect(app.nanite.mapper.isRunning).toBe(false);
  });

  it('keeps the mapper open until in-flight HTTP requests waiting on a remote agent have their answer', async () => {
    const url = busUrl();
    const started = deferred();
    const release = deferred();
    const remote = new Agent({
      transport: url,
      identity: 'remote-slow',
      actors: [defineActor('slow', { work: async () => (started.resolve(), await release.promise, 'late but fine') })],
    });
    await remote.start();
    open.push({ close: () => remote.stop() });
    const app = Fastify();
    open.push(app);
    await app.register(nanitePlugin, { url });
    app.get('/work', async () => ({ result: await app.nanite.request('/slow/work') }));
    const { response, atResponse } = await closeMidRequest(app, { route: '/slow/work', started: started.promise, release: () => release.resolve(), waitMs: 2_000 });

    expect(response).toEqual({ status: 200, body: { result: 'late but fine' } });
    expect(atResponse).toBe('mapper open, close() pending');
    expect(app.nanite.mapper.isRunning).toBe(false);
  });

  it('lets a result stream in flight at close() finish, then closes promptly although its client keeps connections alive (real listener)', async () => {
    const release = deferred();
    const feed = defineActor('feed', {
      async *rows() {
        yield { i: 0 };
        await release.promise;
        yield { i: 1 };
        yield { i: 2 };
      },
    });
    const app = Fastify(); // keepAliveTimeout: Fastify's default 72 s
    open.push(app);
    await app.register(nanitePlugin, { url: busUrl(), actors: [feed] });
    app.get('/rows', (_req, reply) => reply.type('application/x-ndjson').send(app.nanite.stream('/feed/rows')));
    const base = await listen(app);
    await app.nanite.waitForAgents({ route: '/feed/rows', timeout: 2_000 });
    // A real client that keeps its connections for the next request (as browsers, undici, proxies do).
    const client = new HttpAgent({ keepAlive: true });
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => httpGet(`${base}/rows`, { agent: client }, resolve).once('error', reject));
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const ended = once(res, 'end');
      await until(() => body === '{"i":0}\n', 'the first line of the stream');

      const closing = app.close();
      await until(() => !app.server.listening, 'the server to stop listening');
      release.resolve();
      await ended;

      // The stream started before close() (so it went out keep-alive) and still ran to its end...
      expect(res.headers.connection).toBe('keep-alive');
      expect(body).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
      // ...and close() did not wait for the client to give its idle connection up (72 s).
      await expect(within(Promise.resolve(closing), 10_000, 'app.close()')).resolves.toBeUndefined();
    } finally {
      client.destroy();
    }
  }, 20_000);
});
