/**
 * A bounded map with least-recently-used eviction, for the caches that a
 * caller owns and passes in (imported keys in a provider, parsed
 * certificates of a run). Never a module singleton: create one per owner.
 */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();
  /** Lookups that found an entry / that did not (for tests and the bench: "imported once"). */
  hits = 0;
  misses = 0;

  constructor(readonly limit = 1024) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`cache limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  /** The entry for `key`, made the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Move to the end (most recently used).
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The entry for `key`, made by `make` (and kept) when absent. */
  getOrSet(key: K, make: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    this.set(key, v);
    return v;
  }

  clear(): void {
    this.map.clear();
  }
}

/** A compact string key for bytes (base64; for cache keys, never for output). */
export function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
