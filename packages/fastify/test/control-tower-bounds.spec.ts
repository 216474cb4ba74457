/** The Control Tower's memory stays bounded with thousands of agents coming and going and many open pages. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Agent, defineActor } from '@nanite/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { nanitePlugin, naniteControlTower, type TowerSnapshot } from '../src';
import { busUrl, deferred, LogCapture, within } from './helpers';

const noop = defineActor('noop', { ping: () => 'pong' });

describe('Control Tower bounds', () => {
  let app: FastifyInstance;
  let logs: LogCapture;
  const pages: OpenPage[] = [];
  const sockets: Socket[] = [];

  beforeEach(() => {
    logs = new LogCapture();
    app = Fastify({ logger: { level: 'warn', stream: logs } });
  });

  afterEach(async () => {
    for (const p of pages.splice(0)) p.close();
    for (const s of sockets.splice(0)) s.destroy();
    await app.close();
  });

  it('lists at most maxDownAgents departed agents after 2 000 came and went, with one warning for the burst', async () => {
    const url = busUrl();
    await app.register(nanitePlugin, { url, mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, { maxDownAgents: 100, downRetention: 600_000 });
    await app.ready();

    for (let batch = 0; batch < 20; batch++) {
      const agents = Array.from({ length: 100 }, (_, i) => new Agent({ transport: url, identity: `a-${batch}-${i}`, actors: [noop], pingInterval: 60_000 }));
      await Promise.all(agents.map((a) => a.start()));
      await Promise.all(agents.map((a) => a.close()));
    }
    const snapshot = (await app.inject({ method: 'GET', url: '/nanite/api/agents' })).json() as TowerSnapshot;

    expect(snapshot.agents).toHaveLength(100);
    expect(snapshot.agents.every((a) => a.state === 'down')).toBe(true);
    // The newest departures are the ones kept.
    expect(snapshot.agents.map((a) => a.identity)).toContain('a-19-99');
    expect(snapshot.agents.map((a) => a.identity)).not.toContain('a-0-0');
    const warnings = logs.lines.filter((l) => String(l['msg']).includes('maxDown'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ maxDown: 100, total: expect.any(Number) });
  });

  it('answers 503 to event streams past maxEventStreams (real listener) and serves again once a page leaves', async () => {
    await app.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, { maxEventStreams: 20 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;

    for (let i = 0; i < 20; i++) pages.push(await openEvents(port));
    const refused = await openEvents(port);
    pages.push(refused);

    expect(pages.slice(0, 20).map((p) => p.status)).toEqual(Array(20).fill(200));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(await refused.body())).toMatchObject({ message: expect.stringMatching(/already serves 20 event streams/) });
    expect(logs.lines.filter((l) => String(l['msg']).includes('maxClients'))).toHaveLength(1);

    pages.shift()!.close(); // a page goes away
    let again = await openEvents(port);
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      again.close();
      await new Promise((r) => setTimeout(r, 10));
      again = await openEvents(port);
    }
    pages.push(again);
    expect(again.status).toBe(200);
  });

  it('aborts a request whose page stopped reading its answer once maxRequestBuffer bytes wait: its handler is cancelled, its response cut, one warning for the burst (real listener)', async () => {
    // 4 000 progress values of 16 KiB (64 MiB) for a client that never reads: they used to pile up
    // in the answer stream (342 MiB of RSS in the reviewer's run), the handler running to its end.
    const chunk = 'x'.repeat(16 * 1024);
    const outcome = new Map<string, ReturnType<typeof deferred<{ sent: number; reason: unknown }>>>([
      ['a', deferred()],
      ['b', deferred()],
    ]);
    const chatty = defineActor('chatty', {
      run: async (id: string, ctx) => {
        let sent = 0;
        for (; sent < 4_000 && !ctx.signal.aborted; sent++) {
          ctx.progress('chunk', chunk);
          if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        outcome.get(id)!.resolve({ sent, reason: ctx.signal.reason });
        return 'done';
      },
    });
    await app.register(nanitePlugin, { url: busUrl(), actors: [chatty], mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, { maxRequestBuffer: 64 * 1024 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;

    // Two pages that send their request and never read the answer.
    const cut = ['a', 'b'].map((id) => {
      const socket = stalledRequest(port, { route: '/chatty/run', payload: id, timeout: 60_000 });
      sockets.push(socket);
      return { id, socket };
    });
    const results = await within(Promise.all(cut.map(({ id }) => outcome.get(id)!.promise)), 3_000, 'the handlers being cancelled');
    for (const { sent, reason } of results) {
      expect(reason).toMatchObject({ code: 'NANITE_ERR_ABORTED' }); // the agent's own word: the cause is in the log line
      expect(sent).toBeLessThan(4_000);
    }
    // The page reads again: what arrived ends without the `end` line (the response was destroyed).
    const received = await within(
      Promise.all(
        cut.map(
          ({ socket }) =>
            new Promise<string>((resolve) => {
              let text = '';
              socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
              socket.once('close', () => resolve(text));
              socket.on('error', () => {});
              socket.resume();
            }),
        ),
      ),
      3_000,
      'the responses being cut',
    );

    for (const text of received) {
      expect(text).toMatch(/^HTTP\/1\.1 200/);
      expect(text).not.toContain('"type":"end"');
    }
    const warnings = logs.lines.filter((l) => String(l['msg']).includes('maxRequestBuffer'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ route: '/chatty/run', maxRequestBuffer: 64 * 1024, total: 1 });
  });

  it('answers 503 with Retry-After to requests past maxRequests running at once, and runs them again once one ends', async () => {
    const url = busUrl();
    const release = deferred<void>();
    const agent = new Agent({ transport: url, identity: 'slow', actors: [defineActor('slow', { wait: () => release.promise.then(() => 'done') })], pingInterval: 60_000 });
    await agent.start();
    try {
      await app.register(nanitePlugin, { url, mapperOptions: { discoveryWindow: 0 } });
      await app.register(naniteControlTower, { maxRequests: 3 });
      await app.ready();
      const post = () => app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/slow/wait', timeout: 60_000 } });
      const running = [post(), post(), post()];
      for (let i = 0; i < 200 && (await app.inject({ method: 'GET', url: '/nanite/api/agents' })).json<TowerSnapshot>().mapper.pending < 3; i++) await new Promise((r) => setTimeout(r, 10));
      const refused = await post();
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toMatchObject({ message: expect.stringContaining('maxRequests') });
      release.resolve();
      for (const r of await Promise.all(running)) expect(r.statusCode).toBe(200);
      expect((await post()).statusCode).toBe(200);
    } finally {
      await agent.close();
    }
  });

  it('runs nothing for a page that hung up before its request reached the handler, and frees its maxRequests slot at once (real listener)', async () => {
    const url = busUrl();
    let runs = 0;
    const agent = new Agent({ transport: url, identity: 'slow', actors: [defineActor('slow', { wait: async (_p: unknown, ctx) => { runs++; await new Promise((r) => ctx.signal.addEventListener('abort', r)); return 'aborted'; } })], pingInterval: 60_000, drainTimeout: 200 });
    await agent.start();
    try {
      // A hook that takes its time (an auth check, say): the page hangs up meanwhile.
      const handed = deferred<void>();
      let first = true;
      app.addHook('preHandler', async (request) => {
        if (request.method !== 'POST' || !first) return;
        first = false;
        for (let i = 0; i < 500 && !request.raw.socket.destroyed; i++) await new Promise((r) => setTimeout(r, 5));
        handed.resolve();
      });
      await app.register(nanitePlugin, { url, mapperOptions: { discoveryWindow: 0 } });
      await app.register(naniteControlTower, { maxRequests: 1 });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      await app.nanite.waitForAgents({ route: '/slow/wait', timeout: 5_000 });
      const page = stalledRequest(port, { route: '/slow/wait', timeout: 60_000 });
      await new Promise((r) => setTimeout(r, 100));
      page.destroy();
      await handed.promise;
      await new Promise((r) => setTimeout(r, 100));
      // Before: the request ran (until its 60 s timeout), and every request after it got 503.
      expect(runs).toBe(0);
      const next = app.inject({ method: 'POST', url: '/nanite/api/request', payload: { route: '/slow/wait', timeout: 300 } });
      expect((await next).statusCode).toBe(200);
      expect(runs).toBe(1);
    } finally {
      await agent.close();
    }
  });

  it('answers HEAD api/events with the stream headers and keeps no stream open for it: a GET after many HEADs still streams (real listener)', async () => {
    await app.register(nanitePlugin, { url: busUrl(), mapperOptions: { discoveryWindow: 0 } });
    await app.register(naniteControlTower, { maxEventStreams: 5 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;

    const heads = [];
    for (let i = 0; i < 20; i++) heads.push(await headEvents(port));
    const page = await openEvents(port);
    pages.push(page);

    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(heads.map((h) => `${h.status} ${h.headers['content-type']} ${h.body.length}`)).toEqual(Array(20).fill('200 text/event-stream; charset=utf-8 0'));
    expect(logs.lines.filter((l) => String(l['msg']).includes('maxClients'))).toHaveLength(0);
  });
});

/** POST api/request on a raw socket that is paused at once: a page that stopped reading. */
function stalledRequest(port: number, body: object): Socket {
  const json = JSON.stringify(body);
  const socket = connect(port, '127.0.0.1', () => {
    socket.write(`POST /nanite/api/request HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  });
  socket.pause();
  return socket;
}

/** A HEAD of the event stream on its own socket (as `curl -I` or a health check sends it). */
function headEvents(port: number): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ method: 'HEAD', host: '127.0.0.1', port, path: '/nanite/api/events', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** An open GET of the event stream on its own socket; `close()` destroys the socket (the page went away). */
interface OpenPage {
  status: number;
  headers: IncomingHttpHeaders;
  body(): Promise<string>;
  close(): void;
}

function openEvents(port: number): Promise<OpenPage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/nanite/api/events', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      const ended = new Promise<string>((done) => res.once('end', () => done(text)));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: () => ended, close: () => req.destroy() });
    });
    req.once('error', reject);
    req.end();
  });
}
