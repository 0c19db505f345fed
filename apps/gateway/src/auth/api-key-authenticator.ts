import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ApiKeyChangeListener, listenForApiKeyChanges, WorkspaceRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { ApiKeyCache, AuthenticatedKey } from './api-key-cache';
import { RevocationAcks } from './revocation-acks';
import { isApiKeyScope } from './scopes';

export type { AuthenticatedKey } from './api-key-cache';

const TOUCH_INTERVAL_MS = 60_000;
const RELISTEN_MS = 1_000;
const MAX_TOUCHED = 10_000;
// how long a revoke waits for every listening replica to acknowledge; one that does not is down or cut off
const CHANGE_ACK_MS = 3_000;
const LISTENER_NAME = 'kb4-gateway:api-key-cache';

/** Bearer key hash (sha256 hex, the stored key_hash), also the rate limiter's bucket key: the clear key is never kept. */
export function apiKeyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Resolves an API key to its workspace and scopes. Answers are cached for API_KEY_CACHE_SECONDS, but only while this
 * process LISTENs for key changes: a revoke on any replica drops the key here at once, and with the listener down
 * every request looks its key up (correctness over speed). Last use is written at most once a minute per key.
 */
@Injectable()
export class ApiKeyAuthenticator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache: ApiKeyCache;
  private readonly touched = new Map<string, number>();
  private readonly acks = new RevocationAcks();
  private listener?: ApiKeyChangeListener;
  private relisten?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(WorkspaceRepository) private readonly workspaces: WorkspaceRepository,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {
    this.cache = new ApiKeyCache(config.API_KEY_CACHE_SECONDS * 1000);
  }

  onModuleInit(): Promise<void> {
    // boot does not wait for longer than the first attempt: without the listener the gateway still works, uncached
    return this.config.API_KEY_CACHE_SECONDS > 0 ? this.listen() : Promise.resolve();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    await this.listener?.close();
  }

  /** The cached answer for a key (null = known bad), undefined when only a lookup can tell. */
  cachedKey(fingerprint: string): AuthenticatedKey | null | undefined {
    return this.cache.get(fingerprint);
  }

  async authenticate(key: string, fingerprint = apiKeyFingerprint(key)): Promise<AuthenticatedKey | null> {
    const cached = this.cache.get(fingerprint);
    const found = cached !== undefined ? cached : await this.lookup(key, fingerprint);
    if (found) this.touch(found.keyId);
    return found;
  }

  /**
   * Runs a change of the key with this hash (a revoke) and drops it here, then waits (at most CHANGE_ACK_MS) until
   * every replica listening when it committed acknowledged dropping it: when this returns, no replica serves the key
   * from its cache (one whose listener is down caches nothing).
   */
  async change<T>(keyHash: string, apply: () => Promise<T>): Promise<T> {
    const acks = this.acks.collect(keyHash);
    try {
      const result = await apply();
      this.cache.drop(keyHash);
      const listeners = await this.workspaces.apiKeyListenerPids(LISTENER_NAME);
      if (!(await acks.until(listeners, CHANGE_ACK_MS))) this.logger.warn('not every gateway replica acknowledged an API key change in time');
      return result;
    } finally {
      acks.stop();
    }
  }

  private changed(keyHash: string): void {
    this.cache.drop(keyHash);
    this.listener?.acknowledge(keyHash).catch(() => undefined); // a lost session disables the cache anyway
  }

  private async lookup(key: string, fingerprint: string): Promise<AuthenticatedKey | null> {
    const epoch = this.cache.epoch();
    const row = await this.workspaces.activeApiKey(key);
    const found = row ? { keyId: row.id, workspaceId: row.workspaceId, scopes: row.scopes.filter(isApiKeyScope) } : null;
    this.cache.set(fingerprint, found, epoch);
    return found;
  }

  private touch(keyId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    if (this.touched.size >= MAX_TOUCHED) this.touched.clear();
    this.touched.set(keyId, now);
    this.workspaces.markApiKeyUsed(keyId).catch((error: unknown) => {
      this.logger.warn(`could not record an API key's last use: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const listener = listenForApiKeyChanges({
      databaseUrl: this.config.DATABASE_URL,
      applicationName: LISTENER_NAME,
      onChanged: (keyHash) => this.changed(keyHash),
      onDropped: (pid, keyHash) => this.acks.heard(pid, keyHash),
      onLost: () => {
        this.cache.setEnabled(false);
        this.logger.warn('lost the API key change listener; API keys are looked up on every request until it is back');
        this.scheduleRelisten();
      },
    });
    this.listener = listener;
    try {
      await listener.ready;
      if (this.listener === listener && !this.stopped) this.cache.setEnabled(true);
    } catch {
      await listener.close();
      this.scheduleRelisten();
    }
  }

  private scheduleRelisten(): void {
    if (this.stopped) return;
    clearTimeout(this.relisten);
    this.relisten = setTimeout(() => void this.listen(), RELISTEN_MS);
    this.relisten.unref();
  }
}
