/** How results, errors and agent lists are printed. */
import { NaniteError, type AgentView, type FanOut } from '@nanite/core';
import { escapeControls, escapeJsonControls } from './terminal-text';

/**
 * JSON text of a value: indented for a terminal, one line for a pipe. `undefined` prints as `null`.
 * No raw control character in it: JSON.stringify escapes C0, DEL and C1 are written as `\u00XX`.
 */
export function formatJson(value: unknown, pretty: boolean): string {
  return escapeJsonControls(JSON.stringify(value === undefined ? null : value, null, pretty ? 2 : undefined) ?? 'null');
}

/**
 * An error as the CLI prints it: `CODE: message`, plus handler details on a second line when
 * present. Control characters of the message (it may come from a peer) are shown escaped.
 */
export function formatError(err: unknown): string {
  if (err instanceof NaniteError) {
    const details = detailsOf(err);
    return `${escapeControls(err.code)}: ${escapeControls(err.message)}${details ? `\n  ${escapeControls(details)}` : ''}`;
  }
  if (err instanceof Error) return `${escapeControls(err.name)}: ${escapeControls(err.message)}`;
  return `Error: ${escapeControls(String(err))}`;
}

function detailsOf(err: NaniteError): string | undefined {
  // A handler error's data repeats name and message; only an application code or data adds anything.
  if (err.code !== 'NANITE_ERR_HANDLER' || err.data === null || typeof err.data !== 'object') return undefined;
  const { code, data } = err.data as { code?: unknown; data?: unknown };
  const extra: Record<string, unknown> = {};
  if (code !== undefined) extra.code = code;
  if (data !== undefined) extra.data = data;
  return Object.keys(extra).length ? `details: ${JSON.stringify(extra)}` : undefined;
}

/** The printed form of one failed agent in a fan-out. */
export interface FanOutError {
  error: { code: string; message: string; data?: unknown };
}

/**
 * A fan-out (`--selector all`) as printed: `{ [identity]: result }` for agents that answered,
 * `{ [identity]: { error: { code, message, data? } } }` for those that failed, sorted by identity.
 */
export function fanOutView(fan: FanOut<unknown>): { view: Record<string, unknown>; failed: Array<[string, NaniteError]> } {
  const view: Record<string, unknown> = {};
  const failed: Array<[string, NaniteError]> = [];
  for (const identity of Object.keys(fan).sort()) {
    const outcome = fan[identity]!;
    if (outcome.ok) {
      view[identity] = outcome.result === undefined ? null : outcome.result;
    } else {
      const e = outcome.error;
      const error: FanOutError['error'] = { code: e.code, message: e.message };
      if (e.data !== undefined) error.data = e.data;
      view[identity] = { error };
      failed.push([identity, e]);
    }
  }
  return { view, failed };
}

/** "3s ago", "2m ago", "1h ago". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

/** The columns of `nanite agents` on a terminal. */
export const AGENT_COLUMNS = ['IDENTITY', 'STATUS', 'IN-FLIGHT', 'ROUTES', 'TAGS', 'LAST SEEN'] as const;

/**
 * A plain-text table of agents (identity, status, in-flight/concurrency, routes, tags, last seen),
 * sorted by identity; control characters in what the agents sent are shown escaped.
 */
export function formatAgentsTable(agents: readonly AgentView[], now: number): string {
  if (agents.length === 0) return 'No agents.';
  // A NODE column (the broker node each agent is on) only when the agents are not all on the same
  // one (a cluster): on a single broker it would repeat one address on every row.
  const withNode = new Set(agents.map((a) => a.node)).size > 1;
  const columns: string[] = withNode ? [AGENT_COLUMNS[0], 'NODE', ...AGENT_COLUMNS.slice(1)] : [...AGENT_COLUMNS];
  const rows = [...agents]
    .sort((a, b) => a.identity.localeCompare(b.identity))
    .map((a) =>
      [
        a.identity,
        ...(withNode ? [a.node ?? '-'] : []),
        formatStatus(a.status),
        `${a.inFlight}/${a.concurrency}`,
        a.routes.join(', ') || '-',
        a.tags.join(', ') || '-',
        formatAge(now - a.lastSeen),
      ].map(escapeControls),
    );
  const table = [columns, ...rows];
  const widths = columns.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

function formatStatus(status: number): string {
  return Number.isInteger(status) ? String(status) : status.toFixed(2);
}

/** The JSON form of `nanite agents --json`: one object per agent, sorted by identity. */
export function agentsJson(agents: readonly AgentView[]): AgentView[] {
  return [...agents].sort((a, b) => a.identity.localeCompare(b.identity));
}
