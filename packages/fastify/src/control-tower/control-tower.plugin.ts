/**
 * The Control Tower: a page that shows the cluster's agents live and sends requests to them, with
 * the JSON API and event stream behind it.
 */
import { setMaxListeners } from 'node:events';
import { NaniteError, SelectorSet, type Mapper } from '@nanite/core';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AgentBoard, type BoardChange, type TowerSnapshot } from './agent-board';
import { AnswerStreams } from './answer-stream';
import { loadAssets, type PageConfig } from './assets';
import { bearerTokenHook } from './auth';
import { checkControlTowerOptions } from './check-options';
import { DEFAULT_CONTROL_TOWER_OPTIONS, type ControlTowerAuthHook, type ControlTowerOptions } from './control-tower.options';
import { allowedHostNames, hostGuardHook, LOOPBACK_HOST_NAMES } from './host-guard';
import { serializeLine } from './line-serializer';
import { runTowerRequest, towerRequestSchema, type TowerLine, type TowerRequest } from './request-runner';
import { SseHub } from './sse-hub';
import { TrafficHistory } from './traffic-history';

/** Security headers of every Control Tower response: no framing, no sniffing, only our own files. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
} as const;

function resolveMapper(fastify: FastifyInstance, options: ControlTowerOptions): Mapper {
  if (options.mapper) return options.mapper;
  if (fastify.hasDecorator('nanite')) return fastify.nanite.mapper;
  throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: '@nanite/fastify: naniteControlTower needs a mapper: register nanitePlugin before it, or pass { mapper }' });
}

function tower(options: ControlTowerOptions): FastifyPluginAsync {
  return async (fastify) => {
    const mapper = resolveMapper(fastify, options);
    const maxTimeout = options.maxTimeout ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxTimeout;
    const readOnly = options.readOnly ?? false;
    const config: PageConfig = {
      title: options.title ?? DEFAULT_CONTROL_TOWER_OPTIONS.title,
      readOnly,
      auth: options.auth === undefined ? 'none' : typeof options.auth === 'string' ? 'token' : 'hook',
      maxTimeout,
    };
    // The full prefix (the tower may sit inside a prefixed scope) is the page's <base href>.
    const assets = loadAssets(fastify.prefix, config);
    // The tower's own selectors (round-robin turns are not shared with the app's requests).
    const selectors = new SelectorSet();
    const board = new AgentBoard(mapper, {
      downRetention: options.downRetention ?? DEFAULT_CONTROL_TOWER_OPTIONS.downRetention,
      maxDown: options.maxDownAgents ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxDownAgents,
      logger: fastify.log,
    });
    const hub = new SseHub({
      heartbeatInterval: options.heartbeatInterval ?? DEFAULT_CONTROL_TOWER_OPTIONS.heartbeatInterval,
      maxClients: options.maxEventStreams ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxEventStreams,
      maxBuffered: options.maxStreamBuffer ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxStreamBuffer,
      logger: fastify.log,
    });
    const maxRequests = options.maxRequests ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxRequests;
    let running = 0;
    const answers = new AnswerStreams({ maxBuffered: options.maxRequestBuffer ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxRequestBuffer, logger: fastify.log });
    // Charts: one `traffic` event per second (the page draws request rate, errors, latency and agent load).
    const traffic = new TrafficHistory({
      window: options.chartWindow ?? DEFAULT_CONTROL_TOWER_OPTIONS.chartWindow,
      maxRoutes: options.maxChartRoutes ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxChartRoutes,
      maxAgents: options.maxChartAgents ?? DEFAULT_CONTROL_TOWER_OPTIONS.maxChartAgents,
      rows: () => board.rows(),
    });
    const detachTraffic = mapper.observe(traffic);
    const ticker = setInterval(() => hub.broadcast({ event: 'traffic', data: traffic.tick(Date.now()) }), 1000);
    ticker.unref();
    const unsubscribe = board.subscribe((change: BoardChange) =>
      hub.broadcast(change.type === 'agent:removed' ? { event: change.type, data: { identity: change.identity } } : { event: change.type, data: change.agent }),
    );
    // Open event streams would keep server.close() waiting forever: end them as closing begins.
    fastify.addHook('preClose', async () => hub.close());
    fastify.addHook('onClose', async () => {
      clearInterval(ticker);
      detachTraffic();
      unsubscribe();
      hub.close();
      board.close();
    });

    // Without auth, only this machine's own names: a DNS-rebinding page is refused, page included.
    // A malformed allowedHosts fails registration even with auth (it would be a silent mistake).
    const allowedHosts = options.allowedHosts === 'any' ? 'any' : allowedHostNames(options.allowedHosts);
    if (options.auth === undefined && allowedHosts !== 'any') {
      fastify.addHook('onRequest', hostGuardHook([...LOOPBACK_HOST_NAMES, ...allowedHosts]));
    }

    // The page shell: no data in it, so it is public; the API below is what auth protects.
    const serve = (name: string, reply: FastifyReply): FastifyReply => {
      const asset = assets.get(name);
      if (!asset) {
        reply.callNotFound();
        return reply;
      }
      return reply.headers(PAGE_HEADERS).type(asset.type).send(asset.body);
    };
    fastify.get('/', async (_request, reply) => serve('index.html', reply));
    fastify.get<{ Params: { file: string } }>('/:file', async (request, reply) => serve(request.params.file, reply));

    await fastify.register(async (api) => {
      // checkControlTowerOptions let only undefined, a token or a function through: with anything
      // else neither this nor the Host guard above would run.
      if (typeof options.auth === 'string') api.addHook('onRequest', bearerTokenHook(options.auth));
      else if (typeof options.auth === 'function') api.addHook('onRequest', authHook(options.auth));
      api.addHook('onSend', async (_request, reply) => {
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        reply.header('x-content-type-options', 'nosniff');
      });

      const snapshot = (): TowerSnapshot => ({
        now: Date.now(),
        mapper: { identity: mapper.identity, pending: mapper.stats.pending, ...(mapper.node ? { node: mapper.node } : {}) },
        agents: board.rows(),
      });

      api.get('/agents', async () => snapshot());

      api.get('/events', async (_request, reply) => hub.open(reply, [{ event: 'snapshot', data: snapshot() }, { event: 'traffic:history', data: traffic.history() }]));

      api.post<{ Body: TowerRequest }>('/request', { schema: { body: towerRequestSchema(maxTimeout) } }, async (request, reply) => {
        if (readOnly) return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'This Control Tower is read-only' });
        if (running >= maxRequests) {
          return reply.code(503).header('retry-after', '1').send({ statusCode: 503, error: 'Service Unavailable', message: `The Control Tower runs at most ${maxRequests} requests at once (maxRequests); try again` });
        }
        running++;
        const controller = new AbortController();
        // With selector 'all' every agent's call listens on this signal: many agents would trip
        // Node's MaxListenersExceededWarning (11+ listeners) although nothing leaks.
        setMaxListeners(0, controller.signal);
        // Bounded: a page that stops reading while progress lines pour in gets its request aborted
        // and its response cut once maxRequestBuffer bytes wait for it.
        const out = answers.open(reply.raw, controller, { route: request.body.route });
        // The page went away (or reloaded) before the answer: cancel what is still running.
        reply.raw.once('close', () => {
          if (!out.stream.writableEnded) controller.abort();
        });
        // Gone already (while its body was read or a hook ran): its 'close' fired before anyone
        // listened. Nothing is sent for it, and its slot frees at once rather than at its timeout.
        if (reply.raw.destroyed) controller.abort();
        const write = (line: TowerLine): void => out.write(`${serializeLine(line)}\n`);
        // runTowerRequest reports every Nanite failure as a line; anything else is a bug, logged
        // here (the stream still ends) rather than left as an unhandled rejection.
        void runTowerRequest(mapper, selectors, request.body, controller.signal, write)
          .catch((err: unknown) => request.log.error({ err }, 'tower request failed'))
          .finally(() => {
            running--;
            out.end();
          });
        return reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('x-accel-buffering', 'no').send(out.stream);
      });
    }, { prefix: '/api' });
  };
}

/**
 * The Control Tower plugin: the page at `prefix` (default `/nanite`), with
 * `GET <prefix>/api/agents` (JSON snapshot), `GET <prefix>/api/events` (server-sent events:
 * `snapshot`, `traffic:history`, `agent:up`, `agent:update`, `agent:down`, `agent:removed`, `traffic` every second) and
 * `POST <prefix>/api/request` (runs a request; answers with NDJSON lines `start`, `progress`,
 * `result`, `end`). Register `nanitePlugin` first, or pass `mapper`.
 *
 * ```ts
 * await app.register(nanitePlugin, { url: process.env.NANITE_URL });
 * await app.register(naniteControlTower, { auth: process.env.TOWER_TOKEN });
 * ```
 */
export const naniteControlTower = fp<ControlTowerOptions>(
  async (fastify, options) => {
    checkControlTowerOptions(options);
    const prefix = normalizePrefix(options.prefix ?? DEFAULT_CONTROL_TOWER_OPTIONS.prefix);
    await fastify.register(tower(options), { prefix });
  },
  { name: '@nanite/fastify/control-tower', fastify: '5.x' },
);

/**
 * Runs the user's auth check as an async onRequest hook: before the body is read or validated (an
 * unauthenticated caller learns nothing from schema errors), and whether the check is sync or async
 * (a plain function never calls Fastify's `done`, so it must not be registered as a callback hook).
 */
function authHook(auth: ControlTowerAuthHook): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (reply.sent) return;
    const outcome: unknown = auth(request, reply);
    // A sync hook may `return reply.code(403).send()`: the reply is itself thenable (it settles
    // when the response ends) and is not awaited; any other thenable (a promise of any library)
    // is, so that its rejection denies the request.
    if (outcome !== reply && isThenable(outcome)) await outcome;
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function normalizePrefix(prefix: string): string {
  const p = `/${prefix}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return p === '' ? '' : p;
}
