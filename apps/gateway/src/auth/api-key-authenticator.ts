import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { WorkspaceRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';

interface CachedKey {
  workspaceId: string | null;
  expiresAt: number;
}

const MAX_CACHED_KEYS = 10_000;

/** Bearer key hash (sha256 hex), also the rate limiter's bucket key: the clear key is never kept. */
export function apiKeyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Resolves an API key to its workspace. Answers are cached for API_KEY_CACHE_SECONDS so the hot read path
 * does not pay a database round trip per request; a revoked key stops working within that time.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, CachedKey>();
  private readonly ttlMs: number;

  constructor(
    @Inject(WorkspaceRepository) private readonly workspaces: WorkspaceRepository,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.ttlMs = config.API_KEY_CACHE_SECONDS * 1000;
  }

  /** The cached answer for a key (workspace id, or null for a known-bad key), undefined when only a lookup can tell. */
  cachedWorkspace(fingerprint: string): string | null | undefined {
    const cached = this.cache.get(fingerprint);
    return cached && cached.expiresAt > Date.now() ? cached.workspaceId : undefined;
  }

  async workspaceFor(key: string, fingerprint = apiKeyFingerprint(key)): Promise<string | null> {
    const now = Date.now();
    const cached = this.cache.get(fingerprint);
    if (cached && cached.expiresAt > now) return cached.workspaceId;
    const workspaceId = await this.workspaces.workspaceIdForApiKey(key);
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear(); // crude bound; misses only cost one query
      this.cache.set(fingerprint, { workspaceId, expiresAt: now + this.ttlMs });
    }
    return workspaceId;
  }
}
