/** A short-lived mapper for one command (request, push, agents, the console). */
import { Mapper, type Observer } from '@nanite/core';
import type { CliIo } from './io';
import { createLogger, pickLogFormat, resolveLevel } from './logger';
import { securityFromEnv } from './options';
import { withFailFast } from './transport-url';

/** How long a fresh mapper listens for agents answering its Advertise before a fan-out or a listing (ms). */
export const DEFAULT_DISCOVERY_MS = 500;

/**
 * Starts a mapper on `url` (with `direct`, in direct mode: requests go straight to agents' SP endpoints); an unreachable broker fails at once (see {@link withFailFast}). Its own log lines (warnings only, unless `NANITE_LOG_LEVEL` says
 * otherwise) go to stderr so stdout carries nothing but results.
 */
export async function openMapper(url: string, io: CliIo, discoveryWindow: number = DEFAULT_DISCOVERY_MS, direct = false, observers?: readonly Observer[]): Promise<Mapper> {
  const logger = createLogger({
    name: 'nanite-mapper',
    level: resolveLevel(undefined, io.env.NANITE_LOG_LEVEL, 'warn'),
    format: pickLogFormat(io.env.NANITE_LOG_FORMAT || undefined, io.stderr),
    destination: io.stderr,
  });
  // Within the discovery window the mapper itself holds fan-outs and agent-less requests and pushes
  // until the agents have answered its Advertise.
  const security = securityFromEnv(io.env);
  const mapper = new Mapper({ transport: withFailFast(url, true), logger, discoveryWindow, ...(direct ? { direct } : {}), ...(observers ? { observers } : {}), ...(security ? { security } : {}) });
  await mapper.start();
  return mapper;
}

/** Waits `ms` so that every live agent has answered a fresh mapper's Advertise. */
export function discoveryPause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
