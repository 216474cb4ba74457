/** How `nanite agents --all` prints the roster. */
import type { RosterAgent } from '@nanite/core';
import { formatAge } from './output';
import { escapeControls } from './terminal-text';

/** The columns of `nanite agents --all` on a terminal; VERSION, ENDPOINT and SUBJECT only when some entry has one. */
export const ROSTER_COLUMNS = ['IDENTITY', 'STATE', 'SINCE', 'ROUTES', 'TAGS', 'VERSION', 'ENDPOINT', 'SUBJECT', 'BY'] as const;

type Column = (typeof ROSTER_COLUMNS)[number];
const OPTIONAL: ReadonlyMap<Column, 'version' | 'endpoint' | 'subject'> = new Map([['VERSION', 'version'], ['ENDPOINT', 'endpoint'], ['SUBJECT', 'subject']]);

/** When the entry's current state began (epoch ms; 0 when unknown). */
export function stateSince(a: RosterAgent): number {
  if (a.state === 'removed') return a.removedAt ?? 0;
  if (a.state === 'down') return a.lastDown;
  return a.lastUp;
}

function cell(a: RosterAgent, column: Column, now: number): string {
  switch (column) {
    case 'IDENTITY': return a.identity;
    case 'STATE': return a.state;
    case 'SINCE': {
      const since = stateSince(a);
      return since ? formatAge(now - since) : '-';
    }
    case 'ROUTES': return a.routes.join(', ') || '-';
    case 'TAGS': return a.tags.join(', ') || '-';
    case 'BY': return a.by;
    default: return a[OPTIONAL.get(column)!] ?? '-';
  }
}

/**
 * A plain-text table of roster entries sorted by identity: state, since when, routes, tags, the
 * version, endpoint and certificate subject when any entry has them, the mapper that wrote the state.
 * Control characters in what the agents and mappers sent are shown escaped.
 */
export function formatRosterTable(agents: readonly RosterAgent[], now: number): string {
  if (agents.length === 0) return 'No agents.';
  const columns = ROSTER_COLUMNS.filter((c) => {
    const field = OPTIONAL.get(c);
    return field === undefined || agents.some((a) => a[field] !== undefined);
  });
  const rows = [...agents].sort((a, b) => a.identity.localeCompare(b.identity)).map((a) => columns.map((c) => escapeControls(cell(a, c, now))));
  const table: string[][] = [[...columns], ...rows];
  const widths = columns.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((text, i) => (i === r.length - 1 ? text : text.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The JSON form of `nanite agents --all`: every roster entry, sorted by identity. */
export function rosterJson(agents: readonly RosterAgent[]): RosterAgent[] {
  return [...agents].sort((a, b) => a.identity.localeCompare(b.identity));
}
