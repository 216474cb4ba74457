/**
 * A Map that remembers its last lookup: a caller asking for the same key in a loop (a mapper
 * sending one route to one in-process agent) skips the hash lookup. Every write goes through this
 * class and forgets the remembered lookup, so it can never answer for a key that changed.
 */
export class LastHitMap<K, V> {
  private readonly map = new Map<K, V>();
  private lastKey: K | undefined = undefined;
  private lastValue: V | undefined = undefined;
  private remembered = false;

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    if (this.remembered && key === this.lastKey) return this.lastValue;
    const value = this.map.get(key);
    this.lastKey = key;
    this.lastValue = value;
    this.remembered = true;
    return value;
  }

  set(key: K, value: V): void {
    this.forget();
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    this.forget();
    return this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  private forget(): void {
    this.remembered = false;
    this.lastKey = undefined;
    this.lastValue = undefined;
  }
}
