/** How roster entries are shown to users (`mapper.roster()`, events, the CLI, the Control Tower). */
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
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Equal metadata (no write needed). */
export function sameMeta(a: AgentMeta, b: AgentMeta): boolean {
  return sameList(a.routes, b.routes) && sameList(a.tags, b.tags) && a.pingInterval === b.pingInterval
    && a.endpoint === b.endpoint && a.version === b.version && a.subject === b.subject;
}
