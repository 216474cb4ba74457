/** A short-lived mapper for one command (request, push, agents, the console). */
import { Mapper, type AgentView } from '@nanite/core';
import type { CliIo } from './io';
import { createLogger, pickLogFormat, resolveLevel } from './logger';
import { withFailFast } from './transport-url';

/** How long a fresh mapper listens for agents answering its Advertise before a fan-out or a listing (ms). */
export const DEFAULT_DISCOVERY_MS = 500;

/**
 * Starts a mapper on `url`; an unreachable broker fails at once (see {@link withFailFast}). Its own log lines (warnings only, unless `NANITE_LOG_LEVEL` says
 * otherwise) go to stderr so stdout carries nothing but results.
 */
export async function openMapper(url: string, io: CliIo): Promise<Mapper> {
  const logger = createLogger({
    name: 'nanite-mapper',
    level: resolveLevel(undefined, io.env.NANITE_LOG_LEVEL, 'warn'),
    format: pickLogFormat(io.env.NANITE_LOG_FORMAT || undefined, io.stderr),
    destination: io.stderr,
  });
  const mapper = new Mapper({ transport: withFailFast(url, true), logger });
  await mapper.start();
  return mapper;
}

/**
 * Resolves `true` as soon as one of the mapper's agents satisfies `match`, `false` after `timeout` ms.
 * Used before a push, which (unlike a request) does not wait for discovery on a fresh mapper.
 */
export function waitForMatch(mapper: Mapper, match: (agent: AgentView) => boolean, timeout: number): Promise<boolean> {
  if (mapper.agents().some(match)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (found: boolean): void => {
      clearTimeout(timer);
      mapper.off('agent:up', onAgent);
      mapper.off('agent:update', onAgent);
      resolve(found);
    };
    const onAgent = (agent: AgentView): void => {
      if (match(agent)) done(true);
    };
    const timer = setTimeout(() => done(false), timeout);
    mapper.on('agent:up', onAgent);
    mapper.on('agent:update', onAgent);
  });
}

/** Waits `ms` so that every live agent has answered a fresh mapper's Advertise. */
export function discoveryPause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether an agent serves `route` and matches the tags and target of a request. */
export function serves(route: string, tags: readonly string[], target: string | undefined): (agent: AgentView) => boolean {
  return (agent) => agent.routes.includes(route) && tags.every((t) => agent.tags.includes(t)) && (target === undefined || agent.identity === target);
}
