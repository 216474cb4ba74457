/**
 * Runs a selector (user code) and checks what it chose, so a selector that throws, returns garbage
 * or invents an agent fails its request at once with `NANITE_ERR_SELECTOR` instead of escaping
 * from a timer or transport callback or leaving the request pending.
 */
import { NaniteError } from '../errors';
import type { RequestInfo, Selector } from '../selectors/selector';
import { isTrusted } from '../selectors/trusted';
import { AgentRecord } from './registry';

/** What a selector chose: live candidate records, or the error for the caller and the kind of fault. */
export type Picked = { ok: true; agents: AgentRecord[] } | PickFault;

/** A selector that threw, returned garbage or chose an agent that is not a candidate. */
export interface PickFault {
  ok: false;
  kind: 'threw' | 'garbage' | 'not-candidate';
  error: NaniteError;
}

function fault(kind: PickFault['kind'], route: string, reason: string, cause?: unknown): PickFault {
  return { ok: false, kind, error: new NaniteError('NANITE_ERR_SELECTOR', { message: `The selector for ${route} ${reason}`, data: { route, reason: kind }, cause }) };
}

/** Runs `selector.select()` (user code): its array of choices, or the fault. */
function choose(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo): unknown[] | PickFault {
  let chosen: unknown;
  try {
    // A user selector gets a frozen copy: the list may be the registry's own (candidates.ts), and a
    // selector that sorted, popped or spliced it in place would take agents out of dispatch.
    chosen = selector.select(isTrusted(selector) ? candidates : Object.freeze(candidates.slice()), info);
  } catch (err) {
    return fault('threw', info.route, `threw: ${err instanceof Error ? err.message : typeof err}`, err);
  }
  if (!Array.isArray(chosen)) return fault('garbage', info.route, `returned ${chosen === null ? 'null' : typeof chosen}, not an array of agents`);
  return chosen;
}

/** The candidate record a choice names, or the fault. */
function recordOf(c: unknown, candidates: readonly AgentRecord[], route: string, trusted: boolean, byId: Map<string, AgentRecord> | undefined): AgentRecord | PickFault {
  let identity: unknown;
  try {
    identity = typeof c === 'object' && c !== null ? (c as { identity?: unknown }).identity : undefined;
  } catch (err) {
    return fault('garbage', route, 'returned something whose identity threw', err);
  }
  if (typeof identity !== 'string') return fault('garbage', route, 'returned something that is not an agent');
  // The common case: the selector returned one of the records it was given.
  // A built-in selector returns one of its candidates: no linear membership scan (10,000 agents stay O(1)).
  const record = byId ? byId.get(identity) : trusted && c instanceof AgentRecord ? c : candidates.includes(c as AgentRecord) ? (c as AgentRecord) : candidates.find((a) => a.identity === identity);
  return record ?? fault('not-candidate', route, `chose ${JSON.stringify(identity.slice(0, 80))}, which is not one of its candidates`);
}

/**
 * Calls `selector.select()` and maps its choices back to the candidate records (a selector may
 * return copies of the views it got). With `all`, every choice is validated before any is used,
 * and duplicates are dropped; otherwise only the first choice counts.
 */
export function pickAgents(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo, all: boolean): Picked {
  const chosen = choose(selector, candidates, info);
  if (!Array.isArray(chosen)) return chosen;
  const n = all ? chosen.length : Math.min(1, chosen.length);
  const agents: AgentRecord[] = [];
  // Fan-outs may pick hundreds: look candidates up by identity instead of scanning per choice.
  const byId = all && n > 8 ? new Map(candidates.map((a) => [a.identity, a])) : undefined;
  const seen = all ? new Set<AgentRecord>() : undefined;
  const trusted = !all && isTrusted(selector);
  for (let i = 0; i < n; i++) {
    const record = recordOf(chosen[i], candidates, info.route, trusted, byId);
    if (!(record instanceof AgentRecord)) return record;
    if (seen?.has(record)) continue;
    seen?.add(record);
    agents.push(record);
  }
  return { ok: true, agents };
}

/**
 * {@link pickAgents} for one agent, a request's pick (its hot path): the record chosen, `undefined`
 * when the selector chose none, or the fault; no result object nor array of its own.
 */
export function pickAgent(selector: Selector, candidates: readonly AgentRecord[], info: RequestInfo): AgentRecord | PickFault | undefined {
  const chosen = choose(selector, candidates, info);
  if (!Array.isArray(chosen)) return chosen;
  return chosen.length === 0 ? undefined : recordOf(chosen[0], candidates, info.route, isTrusted(selector), undefined);
}
