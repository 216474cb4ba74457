/** Options of the Control Tower plugin. */
import type { Mapper } from '@nanite/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A check run before every Control Tower API route, as early as a Fastify onRequest hook (before
 * the body is read or validated: `request.body` is not available, use headers, cookies, the IP).
 * It may be sync or async. Deny by throwing / rejecting (an error with `statusCode`, e.g. 401/403)
 * or by sending a reply (`reply.code(403).send(...)`); return normally to let the request through.
 */
export type ControlTowerAuthHook = (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

/** Options of {@link naniteControlTower}. */
export interface ControlTowerOptions {
  /** Where the page and its API live. Default `/nanite`. */
  prefix?: string;
  /** The mapper to watch and dispatch with. Default: `fastify.nanite.mapper` (register `nanitePlugin` first). */
  mapper?: Mapper;
  /**
   * Protects the API (the page shell itself holds no data and stays public):
   * a string is a bearer token (`Authorization: Bearer <token>`, compared in constant time);
   * a function is your own check, run as an onRequest hook (sessions, JWT, IP lists...). Default: none.
   */
  auth?: string | ControlTowerAuthHook;
  /**
   * Without `auth`, the Host names the tower answers, besides the loopback ones (`localhost`,
   * `127.0.0.1`, `[::1]`): e.g. `['tower.internal']` behind a proxy on a private network. Any other
   * Host gets 403, so a page on another site cannot reach the tower through DNS rebinding. `'any'`
   * turns the check off. Not used with `auth` (the token or hook decides).
   */
  allowedHosts?: readonly string[] | 'any';
  /** Hide the request form and refuse `POST /api/request` (watch-only tower). Default false. */
  readOnly?: boolean;
  /** How long an agent that went down stays listed (marked down) before it is removed (ms). Default 60 000. */
  downRetention?: number;
  /** Most agents listed as down at once; past it the oldest are removed early (one warning per burst). Default 1000. */
  maxDownAgents?: number;
  /** Most event streams (open pages) at once; more are answered 503 with `Retry-After`. Default 256. */
  maxEventStreams?: number;
  /** Bytes an event stream may hold for a page that stopped reading before it is dropped (the page reconnects). Default 256 KiB. */
  maxStreamBuffer?: number;
  /**
   * Bytes the answer of `POST api/request` (its progress and result lines) may hold for a page that
   * stopped reading; past it the request is aborted (its handlers see their signal fire) and the
   * response is cut (one warning per burst). A single line bigger than this still goes out when
   * nothing waits. Default 4 MiB.
   */
  maxRequestBuffer?: number;
  /**
   * Most `POST api/request` running at once (each holds a mapper request, or one per agent with
   * selector `all`, and its answer's buffer); more are answered 503 with `Retry-After`. Default 64.
   */
  maxRequests?: number;
  /** Period of the keep-alive comment on the event stream (ms). Default 15 000. */
  heartbeatInterval?: number;
  /** Largest timeout a request from the page may ask for (ms). Default 120 000. */
  maxTimeout?: number;
  /** Page title. Default `Nanite Control Tower`. */
  title?: string;
  /** Seconds of traffic and load history the charts keep (and send to a page that connects). Default 120. */
  chartWindow?: number;
  /** Routes charted by name (requests of further routes are charted as `other`). Default 8. */
  maxChartRoutes?: number;
  /** Agents given a load sparkline. Default 16. */
  maxChartAgents?: number;
}

/** Defaults of {@link ControlTowerOptions}. */
export const DEFAULT_CONTROL_TOWER_OPTIONS = {
  prefix: '/nanite',
  downRetention: 60_000,
  maxDownAgents: 1000,
  maxEventStreams: 256,
  maxStreamBuffer: 256 * 1024,
  maxRequestBuffer: 4 * 1024 * 1024,
  maxRequests: 64,
  heartbeatInterval: 15_000,
  maxTimeout: 120_000,
  title: 'Nanite Control Tower',
  chartWindow: 120,
  maxChartRoutes: 8,
  maxChartAgents: 16,
} as const;
