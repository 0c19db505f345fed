import type { ApiKeyScope } from './scopes';

/** An unrevoked key as authentication sees it. */
export interface AuthenticatedKey {
  keyId: string;
  workspaceId: string;
  scopes: readonly ApiKeyScope[];
}

interface Entry {
  key: AuthenticatedKey | null;
  expiresAt: number;
}

const MAX_CACHED_KEYS = 10_000;

/**
 * Lookups of API keys (by key hash), kept for a TTL only while `enabled` (the revocation listener is up): a change
 * notified on another replica drops the entry at once. A lookup that raced with a change is not stored (`epoch`).
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private enabled = false;
  private up = false;

  constructor(private readonly ttlMs: number) {}

  /** The cached answer (null = known bad), or undefined when only a lookup can tell. */
  get(fingerprint: string): AuthenticatedKey | null | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(fingerprint);
    return entry && entry.expiresAt > Date.now() ? entry.key : undefined;
  }

  /** Taken before a lookup; `set` ignores an answer read before a later change or cache reset. */
  epoch(): number {
    return this.generation;
  }

  set(fingerprint: string, key: AuthenticatedKey | null, epoch: number): void {
    if (!this.enabled || this.ttlMs <= 0 || epoch !== this.generation) return;
    if (this.entries.size >= MAX_CACHED_KEYS) this.entries.clear(); // crude bound; misses only cost one query
    this.entries.set(fingerprint, { key, expiresAt: Date.now() + this.ttlMs });
  }

  drop(fingerprint: string): void {
    this.generation++;
    this.entries.delete(fingerprint);
  }

  /** True while the revocation listener is up (caching may still be off: API_KEY_CACHE_SECONDS=0). */
  get listening(): boolean {
    return this.up;
  }

  /** Turns caching on (listener up) or off (listener down): either way nothing cached before is trusted. */
  setEnabled(enabled: boolean): void {
    this.generation++;
    this.entries.clear();
    this.up = enabled;
    this.enabled = enabled && this.ttlMs > 0;
  }
}
