// @nanite/fastify over RabbitMQ (amqp://, the broker at NANITE_AMQP_URL): the drain order, the
// Control Tower's live feed and the example app, with a topology prefix of their own per test.
import { Agent, amqpNames, defineActor } from '@nanite/core';
import { connect } from 'amqplib';
import Fastify from 'fastify';
import { nanitePlugin, naniteControlTower, type AgentRow } from '../src';
import { startExample, type RunningExample } from './example-app';
import { closeMidRequest, deferred, listen, LogCapture } from './helpers';
import { SseClient } from './sse-client';

const BROKER = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
let counter = 0;

/** A broker URL with a topology prefix no other test uses. */
function brokerUrl(prefix: string): string {
  const u = new URL(BROKER);
  u.searchParams.set('prefix', prefix);
  return u.toString();
}

/** Deletes the durable exchanges a prefix leaves behind (queues are exclusive or auto-delete). */
async function removeTopology(prefix: string): Promise<void> {
  const conn = await connect(BROKER);
  try {
    const ch = await conn.createChannel();
    const n = amqpNames(prefix);
    for (const ex of [n.heartbeat, n.advertise, n.agent, n.reply, n.park]) await ch.deleteExchange(ex);
    await ch.close();
  } finally {
    await conn.close();
  }
}

describe('@nanite/fastify on amqp://', () => {
  let prefix: string;
  let url: string;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeEach(() => {
    prefix = `nt-fastify-${process.pid}-${Date.now().toString(36)}-${++counter}`;
    url = brokerUrl(prefix);
  });

  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    await removeTopology(prefix);
  });

  it('completes an in-flight HTTP request waiting on a remote agent when close() is called mid-request', async () => {
    const started = deferred();
    const release = deferred();
    const remote = new Agent({ transport: url, identity: `slow-${counter}`, actors: [defineActor('slow', { work: async () => (started.resolve(), await release.promise, 'done') })] });
    await remote.start();
    cleanup.push(() => remote.stop());
    const app = Fastify();
    cleanup.push(() => app.close());
    await app.register(nanitePlugin, { url, actors: [defineActor('local', { ping: () => 'pong' })], agentOptions: { identity: `local-${counter}` } });
    app.get('/work', async () => ({ result: await app.nanite.request('/slow/work', null, { timeout: 10_000 }) }));
    const { response, atResponse } = await closeMidRequest(app, { route: '/slow/work', started: started.promise, release: () => release.resolve(), waitMs: 10_000 });

    expect(response).toEqual({ status: 200, body: { result: 'done' } });
    expect(atResponse).toBe('mapper open, close() pending');
    expect(app.nanite.mapper.isRunning).toBe(false);
    expect(app.nanite.agent?.isRunning).toBe(false);
  }, 30_000);

  it('streams agents going up and down to the Control Tower', async () => {
    const app = Fastify();
    cleanup.push(() => app.close());
    await app.register(nanitePlugin, { url });
    await app.register(naniteControlTower);
    const base = await listen(app);
    const events = await SseClient.open(`${base}/nanite/api/events`);
    cleanup.push(() => events.close());
    await events.next((e) => e.event === 'snapshot', true);
    const identity = `visitor-${counter}`;

    const up = events.next((e) => e.event === 'agent:up' && (e.data as AgentRow).identity === identity);
    const agent = new Agent({ transport: url, identity, actors: [defineActor('visit', { hello: () => 'hi' })], pingInterval: 500 });
    await agent.start();
    await up;
    const down = events.next((e) => e.event === 'agent:down' && (e.data as AgentRow).identity === identity);
    await agent.stop();

    expect((await down).data).toMatchObject({ identity, state: 'down', downReason: 'unregistered' });
  }, 30_000);
});

describe('@nanite/fastify with no broker reachable', () => {
  // A port nothing listens on.
  const nowhere = 'amqp://guest:guest@127.0.0.1:1/?reconnectMin=50&reconnectMax=200';

  it('boots anyway (the transport connects in the background), answers 503, logs through Fastify and closes cleanly', async () => {
    const logs = new LogCapture();
    const app = Fastify({ logger: { level: 'warn', stream: logs } });
    try {
      await app.register(nanitePlugin, { url: nowhere, errorHandler: true, mapperOptions: { discoveryWindow: 0 } });
      app.get('/sum', async () => app.nanite.request('/calc/add', [1, 2], { timeout: 500 }));

      const res = await app.inject({ method: 'GET', url: '/sum' });

      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'NANITE_ERR_NO_AGENT' });
      // The transport the plugin created logs through Fastify's logger, not its own default.
      expect(logs.lines).toContainEqual(expect.objectContaining({ plugin: '@nanite/fastify', nanite: 'transport', msg: expect.stringMatching(/broker unreachable/) }));
    } finally {
      await app.close();
    }
  });

  it('fails registration with ?failFast=true', async () => {
    const app = Fastify();
    try {
      await expect(app.register(nanitePlugin, { url: `${nowhere}&failFast=true` }).ready()).rejects.toMatchObject({ code: 'NANITE_ERR_NOT_CONNECTED' });
    } finally {
      await app.close();
    }
  });
});

describe('examples/fastify-app on amqp://', () => {
  let app: RunningExample | undefined;
  const prefix = `nt-fastify-example-${process.pid}-${Date.now().toString(36)}`;

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await removeTopology(prefix);
  });

  it('serves its routes with agents on the broker and drains on SIGTERM', async () => {
    app = await startExample({ NANITE_URL: brokerUrl(prefix), NANITE_DEMO_AGENTS: '2' });

    const sum = await fetch(`${app.base}/sum?a=20&b=22`);
    expect(await sum.json()).toEqual({ sum: 42 });
    const cluster = (await (await fetch(`${app.base}/cluster`)).json()) as Record<string, unknown>;
    expect(Object.keys(cluster).sort()).toEqual(['http-app', 'worker-eu-west-1', 'worker-eu-west-2']);

    const stopped = await app.stop();
    app = undefined;
    expect(stopped.code).toBe(0);
  }, 60_000);
});
