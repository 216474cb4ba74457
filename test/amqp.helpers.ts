/**
 * Helpers of the cross-process amqp:// tests: agents in child processes (test/fixtures/amqp-agent.js
 * on the built @nanite/core), unique prefixes, topology clean-up, a private broker node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { removeAmqpTopology } from '@nanite/core';
import { ChaosBroker as SharedChaosBroker } from './support/chaos-broker';

/** The shared broker. */
export const AMQP_URL = process.env.NANITE_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const FIXTURE = join(__dirname, 'fixtures', 'amqp-agent.js');

let counter = 0;
/** A topology prefix no other test uses. */
export function uniquePrefix(tag: string): string {
  return `nt-${tag}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** `url` with `?prefix=` (and other query options) set. */
export function withQuery(url: string, query: Record<string, string | number>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
}

/** An agent running in a child process. */
export interface AgentProcess {
  readonly identity: string;
  readonly child: ChildProcess;
  /** Resolves once the agent printed "ready"; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** SIGKILL (no drain) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful drain) and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts test/fixtures/amqp-agent.js or another fixture taking the same arguments (with `listen`, the agent also serves an SP endpoint: direct mode). */
export function spawnAgent(url: string, identity: string, pingInterval: number, listen?: string, fixture = FIXTURE): AgentProcess {
  const child = spawn(process.execPath, [fixture, url, identity, String(pingInterval), ...(listen ? [listen] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(`ready ${identity}`)) resolve();
    });
    void exited.then(() => reject(new Error(`agent ${identity} exited before ready: ${stderr}`)));
  });
  // Callers await `ready` or kill the process; an early exit is reported through `ready`.
  ready.catch(() => undefined);
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return { identity, child, ready, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}

/** Deletes the exchanges of each prefix and the park queues of the given routes. */
export async function removeTopology(url: string, prefixes: readonly string[], routes: readonly string[] = []): Promise<void> {
  for (const prefix of prefixes) await removeAmqpTopology(url, prefix, { routes });
}

/** A private RabbitMQ node for the chaos tests. */
export class ChaosBroker extends SharedChaosBroker {
  constructor() {
    super('nanite-chaos', 5700);
  }
}

/** Resolves after `ms` (load pacing only; tests wait for events, not time). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a load run saw. */
export interface LoadStats {
  sent: number;
  ok: number;
  errors: Array<{ code: string; message: string }>;
  /** Results per answering agent. */
  byAgent: Record<string, number>;
  /** Slowest request (ms). */
  maxMs: number;
}

/** Something that sends requests, e.g. a Mapper. */
export interface Requester {
  request(route: string, payload: unknown): Promise<unknown>;
}

/** Keeps `workers` requests in flight on `route` until `stop()`, which waits for the last ones. */
export function startLoad(mapper: Requester, route: string, workers: number, ms = 2): { stats: LoadStats; stop(): Promise<LoadStats> } {
  const stats: LoadStats = { sent: 0, ok: 0, errors: [], byAgent: {}, maxMs: 0 };
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) {
      const n = stats.sent++;
      const t = Date.now();
      try {
        const r = (await mapper.request(route, { n, ms })) as { agent: string };
        stats.ok++;
        stats.byAgent[r.agent] = (stats.byAgent[r.agent] ?? 0) + 1;
      } catch (err) {
        const e = err as { code?: string; message?: string };
        stats.errors.push({ code: e.code ?? 'unknown', message: e.message ?? String(err) });
        // The mapper was closed (a failed test's clean-up): nobody will answer again. Without this
        // the workers of a test that threw before stop() spun on for the rest of the jest process,
        // growing `errors` by the million and starving every suite after it.
        if (e.code === 'NANITE_ERR_SHUTTING_DOWN') break;
        // A request that fails at once must not spin in microtasks and starve jest's timers.
        await new Promise((resolve) => setImmediate(resolve));
      }
      stats.maxMs = Math.max(stats.maxMs, Date.now() - t);
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    stats,
    stop: async () => {
      running = false;
      await all;
      return stats;
    },
  };
}
