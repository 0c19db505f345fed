import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ApiKeyChangeListener, listenForApiKeyChanges, WorkspaceRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { ApiKeyCache, AuthenticatedKey } from './api-key-cache';
import { isApiKeyScope } from './scopes';

export type { AuthenticatedKey } from './api-key-cache';

const TOUCH_INTERVAL_MS = 60_000;
const RELISTEN_MS = 1_000;
const MAX_TOUCHED = 10_000;
// how long a revoke waits for its own notification to come back (it reaches the other replicas at the same moment)
const CHANGE_ECHO_MS = 2_000;

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
  private readonly echoes = new Map<string, Set<() => void>>();
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
   * Runs a change of the key with this hash (a revoke) and drops it here; while the listener is up, it also waits
   * (at most CHANGE_ECHO_MS) for the change's notification, which Postgres sends every replica at the same moment.
   */
  async change<T>(keyHash: string, apply: () => Promise<T>): Promise<T> {
    let heard: () => void = () => undefined;
    const echo = new Promise<void>((resolve) => (heard = resolve));
    const waiting = this.echoes.get(keyHash) ?? new Set<() => void>();
    this.echoes.set(keyHash, waiting.add(heard));
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await apply();
      this.cache.drop(keyHash);
      if (this.cache.listening) await Promise.race([echo, new Promise<void>((resolve) => (timer = setTimeout(resolve, CHANGE_ECHO_MS)))]);
      return result;
    } finally {
      clearTimeout(timer);
      waiting.delete(heard);
      if (waiting.size === 0) this.echoes.delete(keyHash);
    }
  }

  private changed(keyHash: string): void {
    this.cache.drop(keyHash);
    for (const heard of this.echoes.get(keyHash) ?? []) heard();
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
      applicationName: 'kb4-gateway:api-key-cache',
      onChanged: (keyHash) => this.changed(keyHash),
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
