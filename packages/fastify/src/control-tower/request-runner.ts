/**
 * Runs a request sent from the Control Tower and reports it as a stream of lines (NDJSON): what
 * was sent, every progress value and every agent's result as they arrive, then the end.
 */
import { NaniteError, SelectorSet, toNaniteError, type Mapper, type Selector, type SelectorName, type SerializedError } from '@nanite/core';

/** The body of `POST <prefix>/api/request`. */
export interface TowerRequest {
  route: string;
  payload?: unknown;
  selector?: SelectorName;
  target?: string;
  tags?: string[];
  /** Milliseconds; default 10 000. */
  timeout?: number;
}

/** One line of the answer stream. */
export type TowerLine =
  | { type: 'start'; route: string; selector: SelectorName; agents: string[] | null; at: number }
  | { type: 'progress'; agent: string; key: string; value: unknown; ms: number }
  | { type: 'result'; agent: string | null; ok: true; result: unknown; ms: number }
  | { type: 'result'; agent: string | null; ok: false; error: SerializedError; ms: number }
  | { type: 'end'; ok: number; failed: number; ms: number };

/** JSON schema of {@link TowerRequest} (Fastify validates the body with it). */
export function towerRequestSchema(maxTimeout: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['route'],
    additionalProperties: false,
    properties: {
      route: { type: 'string', minLength: 2, maxLength: 512, pattern: '^/' },
      payload: {},
      selector: { type: 'string', enum: ['least_loaded', 'random', 'round_robin', 'all', 'target'] },
      target: { type: 'string', minLength: 1, maxLength: 256 },
      tags: { type: 'array', maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 128 } },
      timeout: { type: 'integer', minimum: 1, maximum: maxTimeout },
    },
  };
}

/**
 * Runs `req` on `mapper`, calling `write` for each line, and resolves after the `end` line.
 *
 * With selector `all`, the request goes to every live agent serving the route (and carrying the
 * tags) as one targeted request each, so each agent's result is reported the moment it arrives
 * rather than when the slowest one answers (which is when `mapper.request(..., 'all')` resolves).
 */
export async function runTowerRequest(mapper: Mapper, selectors: SelectorSet, req: TowerRequest, signal: AbortSignal, write: (line: TowerLine) => void): Promise<void> {
  const started = Date.now();
  const ms = (): number => Date.now() - started;
  const selector = req.selector ?? (req.target ? 'target' : 'least_loaded');
  const tags = req.tags ?? [];
  const common = { timeout: req.timeout ?? 10_000, tags, signal, onProgress: (key: string, value: unknown, agent: string) => write({ type: 'progress', agent, key, value, ms: ms() }) };
  let ok = 0;
  let failed = 0;
  /** Writes the outcome of `call`; `agent()` tells who failed it (read once it has settled). */
  const report = async (agent: () => string | null, call: Promise<{ result: unknown; agent: string }>): Promise<void> => {
    try {
      const reply = await call;
      ok++;
      write({ type: 'result', agent: reply.agent, ok: true, result: reply.result, ms: ms() });
    } catch (err) {
      failed++;
      const error = toNaniteError(err);
      write({ type: 'result', agent: agent() ?? agentOf(error), ok: false, error: error.toJSON(), ms: ms() });
    }
  };

  if (selector === 'all') {
    const agents = mapper
      .agents()
      .filter((a) => a.routes.includes(req.route) && tags.every((t) => a.tags.includes(t)))
      .map((a) => a.identity)
      .sort();
    write({ type: 'start', route: req.route, selector, agents, at: started });
    if (agents.length === 0) {
      await report(() => null, Promise.reject(new NaniteError('NANITE_ERR_NO_AGENT', { message: `No agent: no live agent serves ${req.route}${tags.length ? ` with tags [${tags.join(', ')}]` : ''}`, data: { route: req.route, tags } })));
    } else {
      await Promise.all(agents.map((identity) => report(() => identity, mapper.call(req.route, req.payload, { ...common, selector: 'target', target: identity }))));
    }
  } else {
    write({ type: 'start', route: req.route, selector, agents: null, at: started });
    // The built-in selector, wrapped to remember its last pick: a failed call does not say which
    // agent failed it, and the operator wants to know.
    const chosen = recording(selectors.resolve(selector));
    await report(() => chosen.last, mapper.call(req.route, req.payload, { ...common, selector: chosen, ...(req.target ? { target: req.target } : {}) }));
  }
  write({ type: 'end', ok, failed, ms: ms() });
}

/** A selector that records the identity of the agent it picked last (the one a failure came from). */
function recording(inner: Selector): Selector & { last: string | null } {
  const wrapper = {
    last: null as string | null,
    select: (candidates: Parameters<Selector['select']>[0], request: Parameters<Selector['select']>[1]) => {
      const picked = inner.select(candidates, request);
      if (picked[0]) wrapper.last = picked[0].identity;
      return picked;
    },
  };
  return wrapper;
}

/** The agent an error names in its data, if any. */
function agentOf(error: NaniteError): string | null {
  const data = error.data as { agent?: unknown } | undefined;
  return typeof data?.agent === 'string' ? data.agent : null;
}
