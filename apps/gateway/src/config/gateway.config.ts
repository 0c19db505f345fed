import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

export class GatewayConfig extends ServiceConfig {
  @IsPort()
  GATEWAY_PORT = 3000;

  /** Signs pagination cursors; derived from CREDENTIALS_KEY when unset. */
  @IsOptional()
  @Matches(/^.{32,}$/, { message: 'must be at least 32 characters' })
  CURSOR_SECRET?: string = undefined;

  /**
   * Signs audit checkpoints (HMAC-SHA256): base64 or base64url of at least 32 random bytes. Unset: a key derived from
   * CREDENTIALS_KEY (never the encryption key itself). `npm start` generates one into .local/audit-checkpoint.key.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/_-]{43,}={0,2}$/, { message: 'must be base64 of at least 32 bytes' })
  AUDIT_CHECKPOINT_KEY?: string = undefined;

  /** Requests per minute per API key (token bucket: this many tokens, refilled evenly over a minute). */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  API_RATE_LIMIT_PER_MINUTE = 1200;

  /** Failed authentications per minute per client address (IPv6: per /64) before it gets 429 without a lookup. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT_PER_MINUTE = 20;

  /** The poller's default sync interval: an account's cadence when it sets none (its lag on GET /integrated-accounts/{id}). */
  @IsInt()
  @Min(60)
  POLL_INTERVAL_SECONDS = 900;

  /** As the poller's: cadences compressed for fleet benchmarks (1 = real time). */
  @IsNumber()
  @Min(1)
  @Max(3600)
  TIME_SCALE = 1;

  /** KnowBe4 Reporting pacing for proxy and read-through calls; `off` only against the sandbox. */
  @IsIn(['documented', 'seed', 'off'])
  KNOWBE4_PACING: 'documented' | 'seed' | 'off' = 'documented';

  /**
   * Longest wait of a proxy / read-through call for its KnowBe4 slot; past it the caller gets 429 with retry-after
   * (our own pacing, not a KnowBe4 error) and the request is never sent.
   */
  @IsInt()
  @Min(100)
  @Max(300_000)
  KNOWBE4_MAX_QUEUE_WAIT_MS = 10_000;

  /** Share of each KnowBe4 window (while a sync runs) and of the daily budget that interactive calls leave to syncs. */
  @IsNumber()
  @Min(0)
  @Max(0.9)
  KNOWBE4_SYNC_RESERVED_SHARE = 0.5;

  /** Postgres connections this process keeps (the mirror reads, accounts, operations, KnowBe4 budgets). */
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /**
   * The operator's token for the /admin API (workspaces and API keys). Unset: the admin API answers 401 to everyone.
   * `npm start` generates one into .local/admin-token.
   */
  @IsOptional()
  @Matches(/^[A-Za-z0-9._~+/=-]{32,256}$/, { message: 'must be 32 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -' })
  ADMIN_TOKEN?: string = undefined;

  /**
   * Seconds an API key lookup is cached while the revocation listener (LISTEN kb4_api_key_changed) is up; a revoked
   * key is dropped from every replica's cache at once, and nothing is cached while the listener is down.
   */
  @IsInt()
  @Min(0)
  @Max(3600)
  API_KEY_CACHE_SECONDS = 30;

  /** An operation queued or running with no progress this long has its command re-published (reconciler, retry). */
  @IsInt()
  @Min(1)
  @Max(86_400)
  OPERATION_STALL_SECONDS = 90;

  /** How often this process's reconciler looks for stalled operations; 0 turns it off in this process. */
  @IsInt()
  @Min(0)
  @Max(3600)
  OPERATION_RECONCILE_INTERVAL_SECONDS = 15;

  /** Webhook targets may be plain http (local demo, tests); otherwise https only. */
  @IsBoolean()
  WEBHOOKS_ALLOW_HTTP = false;

  /** Webhook targets may resolve to loopback, private or link-local addresses (local demo, tests). Never in production. */
  @IsBoolean()
  WEBHOOKS_ALLOW_PRIVATE = false;

  /** Roster uploads (PUT /unified/user-directory/roster): most rows one roster may have. */
  @IsInt()
  @Min(1)
  @Max(5_000_000)
  ROSTER_MAX_ROWS = 200_000;

  /** Roster uploads: most bytes of one body (streamed, never buffered whole). */
  @IsInt()
  @Min(1024)
  @Max(4 * 1024 * 1024 * 1024)
  ROSTER_MAX_BODY_BYTES = 256 * 1024 * 1024;

  /** Roster uploads: most characters of one row (a CSV record, an NDJSON line, one element of `users`). */
  @IsInt()
  @Min(256)
  @Max(1024 * 1024)
  ROSTER_MAX_ROW_BYTES = 64 * 1024;

  /** Guard rail: a roster plan archiving more than this share of the active users is refused (409) without force=true. */
  @IsNumber()
  @Min(0)
  @Max(1)
  ROSTER_MAX_ARCHIVE_SHARE = 0.1;

  /** Guard rail: a roster plan archiving more than this many people is refused (409) without force=true. */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  ROSTER_MAX_ARCHIVE_COUNT = 1000;

  /** How often the roster executor turns planned items of running roster runs into operations; 0 turns it off here. */
  @IsInt()
  @Min(0)
  @Max(60_000)
  ROSTER_EXECUTOR_INTERVAL_MS = 500;
}
