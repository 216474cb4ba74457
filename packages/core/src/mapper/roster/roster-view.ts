/** How roster entries are shown to users (`mapper.roster()`, events, the CLI, the Control Tower), and what the roster keeps of a live agent. */
import type { AgentView } from '../../selectors/selector';
import type { AgentMeta, RosterEntry } from './roster-entry';
import type { RosterAgent } from './roster.options';

/** An entry as a plain view; `unknown` overlays `unknown-since-restart`. */
export function toRosterAgent(e: RosterEntry, unknown: boolean): RosterAgent {
  const m = e.meta.value;
  return {
    identity: e.identity,
    state: e.removed ? 'removed' : unknown ? 'unknown-since-restart' : e.live.state,
    incarnation: e.incarnation,
    routes: [...m.routes],
    tags: [...m.tags],
    ...(m.pingInterval !== undefined ? { pingInterval: m.pingInterval } : {}),
    ...(m.endpoint !== undefined ? { endpoint: m.endpoint } : {}),
    ...(m.version !== undefined ? { version: m.version } : {}),
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    firstSeen: e.firstSeen,
    lastUp: e.lastUp,
    lastDown: e.lastDown,
    ...(e.removed ? { removedAt: e.removed.wall } : {}),
    by: (e.removed ?? e.live.at).node,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The metadata the roster keeps of a live agent, copied from what the registry holds (its last Register). */
export function metaOf(view: AgentView): AgentMeta {
  return {
    routes: [...view.routes],
    tags: [...view.tags],
    pingInterval: view.pingInterval,
    ...(view.endpoint !== undefined ? { endpoint: view.endpoint } : {}),
    ...(view.version !== undefined ? { version: view.version } : {}),
    ...(view.subject !== undefined ? { subject: view.subject } : {}),
  };
}

/** Whether the roster's metadata still matches what the registry holds (no allocation: runs on every Ping). */
export function metaMatches(meta: AgentMeta, view: AgentView): boolean {
  return sameList(meta.routes, view.routes) && sameList(meta.tags, view.tags) && meta.pingInterval === view.pingInterval
    && meta.endpoint === view.endpoint && meta.version === view.version && meta.subject === view.subject;
}
