/**
 * Where a roster survives restarts. The file store writes atomically (temp file, fsync, rename,
 * fsync of the directory), so a crash leaves the old roster or the new one, never half of each; a
 * file that is corrupt or truncated anyway (a disk fault, a hand edit) is reported, set aside and
 * rebuilt from gossip and heartbeats, never a crash loop.
 */
import { open, readFile, rename, unlink, mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { parseEntry } from './roster-codec';
import type { RosterEntry } from './roster-entry';

/** What a store held. */
export interface StoreLoad {
  entries: RosterEntry[];
  /** Why what was stored could not be read (it was set aside); absent when it read fine or there was nothing. */
  corrupt?: string;
}

/** A place to keep a roster between runs. */
export interface RosterStore {
  /** Reads the saved roster; never throws for bad content (reports it in `corrupt`). */
  load(): Promise<StoreLoad>;
  /** Replaces the saved roster. */
  save(entries: readonly RosterEntry[]): Promise<void>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
  /** Where it stores, for logs. */
  readonly where: string;
}

/** The serialized form (versioned). */
export function encodeRoster(entries: readonly RosterEntry[]): string {
  return JSON.stringify({ v: 1, savedAt: Date.now(), entries });
}

/** Parses what {@link encodeRoster} wrote; bad entries make the whole thing corrupt. */
export function decodeRoster(text: string): StoreLoad {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { entries: [], corrupt: `not JSON (${(err as Error).message})` };
  }
  const d = doc as { v?: unknown; entries?: unknown };
  if (typeof doc !== 'object' || doc === null || d.v !== 1 || !Array.isArray(d.entries)) return { entries: [], corrupt: 'not a roster (version 1)' };
  const entries: RosterEntry[] = [];
  for (const raw of d.entries) {
    const e = parseEntry(raw);
    if (!e) return { entries: [], corrupt: 'an entry is invalid' };
    entries.push(e);
  }
  return { entries };
}

/** A roster in one JSON file, written atomically. */
export class FileRosterStore implements RosterStore {
  constructor(readonly where: string) {}

  async load(): Promise<StoreLoad> {
    let text: string;
    try {
      text = await readFile(this.where, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
      return { entries: [], corrupt: `unreadable (${(err as Error).message})` };
    }
    const out = decodeRoster(text);
    if (out.corrupt) {
      // Kept for a human to look at; the next save writes a fresh file in its place.
      await rename(this.where, `${this.where}.corrupt-${Date.now()}`).catch(() => undefined);
    }
    return out;
  }

  async save(entries: readonly RosterEntry[]): Promise<void> {
    const dir = dirname(this.where);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${basename(this.where)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(encodeRoster(entries));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.where);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    // The rename itself is durable once the directory is synced (not possible on every platform).
    const d = await open(dir, 'r').catch(() => undefined);
    if (d) await d.sync().catch(() => undefined).finally(() => d.close());
  }

  async close(): Promise<void> {
    // Nothing held between calls.
  }
}
