/** How `nanite agents --all` prints the roster. */
import type { RosterAgent } from '@nanite/core';
import { formatAge } from './output';

/** The columns of `nanite agents --all` on a terminal. */
export const ROSTER_COLUMNS = ['IDENTITY', 'STATE', 'SINCE', 'ROUTES', 'TAGS', 'BY'] as const;

/** When the entry's current state began (epoch ms; 0 when unknown). */
export function stateSince(a: RosterAgent): number {
  if (a.state === 'removed') return a.removedAt ?? 0;
  if (a.state === 'down') return a.lastDown;
  return a.lastUp;
}

/** A plain-text table of roster entries sorted by identity: state, since when, routes, tags, the mapper that wrote the state. */
export function formatRosterTable(agents: readonly RosterAgent[], now: number): string {
  if (agents.length === 0) return 'No agents.';
  const rows = [...agents]
    .sort((a, b) => a.identity.localeCompare(b.identity))
    .map((a) => {
      const since = stateSince(a);
      return [a.identity, a.state, since ? formatAge(now - since) : '-', a.routes.join(', ') || '-', a.tags.join(', ') || '-', a.by];
    });
  const table = [[...ROSTER_COLUMNS], ...rows];
  const widths = ROSTER_COLUMNS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The JSON form of `nanite agents --all`: every roster entry, sorted by identity. */
export function rosterJson(agents: readonly RosterAgent[]): RosterAgent[] {
  return [...agents].sort((a, b) => a.identity.localeCompare(b.identity));
}
