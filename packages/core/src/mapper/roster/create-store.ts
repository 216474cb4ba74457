/** Turns `roster.store` into a store: a file path, a `redis://` URL (ioredis, loaded only then) or an instance. */
import { NaniteError } from '../../errors';
import { FileRosterStore, type RosterStore } from './roster-store';
import { RedisRosterStore } from './redis-store';

/** The store named by `store` for mapper `mapperId`, or undefined for memory only. */
export function createRosterStore(store: string | RosterStore | undefined, mapperId: string, redisPrefix = 'nanite:roster:'): RosterStore | undefined {
  if (store === undefined) return undefined;
  if (typeof store !== 'string') return store;
  if (store.length === 0) throw new NaniteError('NANITE_ERR_INVALID_ARGUMENT', { message: 'roster.store must be a file path, a redis:// URL or a RosterStore' });
  if (/^rediss?:\/\//.test(store)) {
    // The key: `?key=` in the URL, else one per mapper identity (give the mapper a fixed identity to find it again after a restart).
    const url = new URL(store);
    const key = url.searchParams.get('key') ?? `${redisPrefix}${mapperId}`;
    url.searchParams.delete('key');
    return new RedisRosterStore(url.toString(), key);
  }
  return new FileRosterStore(store);
}
