/**
 * A roster in Redis, for mappers without a disk of their own (the original Nanite kept its mapper
 * state in Redis). One key per mapper holds the whole roster, written with SET (atomic). The
 * `ioredis` package is loaded on first use only, so mappers that do not ask for Redis never need it.
 */
import { NaniteError } from '../../errors';
import { decodeRoster, encodeRoster, type RosterStore, type StoreLoad } from './roster-store';
import type { RosterEntry } from './roster-entry';

/** The part of an ioredis client this store uses. */
interface RedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

type RedisCtor = new (url: string, options: object) => RedisClient;

function loadIoredis(): RedisCtor {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('ioredis') as { default?: RedisCtor; Redis?: RedisCtor };
    const ctor = mod.Redis ?? mod.default ?? (mod as unknown as RedisCtor);
    return ctor;
  } catch (cause) {
    throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: "roster.store 'redis://...' needs the ioredis package: npm install ioredis", cause });
  }
}

/** A roster kept under one Redis key. */
export class RedisRosterStore implements RosterStore {
  readonly where: string;
  private client: RedisClient | undefined;

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {
    this.where = `${url.replace(/\/\/[^@/]*@/, '//***@')} ${key}`;
  }

  private redis(): RedisClient {
    if (!this.client) {
      const Redis = loadIoredis();
      this.client = new Redis(this.url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    }
    return this.client;
  }

  async load(): Promise<StoreLoad> {
    let text: string | null;
    try {
      text = await this.redis().get(this.key);
    } catch (err) {
      if (err instanceof NaniteError) throw err;
      return { entries: [], corrupt: `unreadable (${(err as Error).message})` };
    }
    if (text === null) return { entries: [] };
    const out = decodeRoster(text);
    if (out.corrupt) await this.redis().set(`${this.key}:corrupt`, text).catch(() => undefined);
    return out;
  }

  async save(entries: readonly RosterEntry[]): Promise<void> {
    await this.redis().set(this.key, encodeRoster(entries));
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    await c.quit().catch(() => c.disconnect());
  }
}
