import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

export class PollerConfig extends ServiceConfig {
  @IsPort()
  POLLER_PORT = 3001;

  /** Default sync interval per account; an account's `poll_interval_seconds` overrides it. */
  @IsInt()
  @Min(60)
  POLL_INTERVAL_SECONDS = 900;

  /** Reporting API pacing: KnowBe4's documented limits, the seed's 1,000/min, or none (sandbox benchmarks). */
  @IsIn(['documented', 'seed', 'off'])
  KNOWBE4_RATE_PROFILE: 'documented' | 'seed' | 'off' = 'documented';

  /** First run of an account: `created` events for every record, or only the sync_run summary. */
  @IsIn(['created', 'summary'])
  BASELINE_EVENTS: 'created' | 'summary' = 'created';

  /** Unified user fields that never produce `knowbe4.user.updated` (comma list; empty to report every change). */
  @IsString()
  USER_EVENT_IGNORE_FIELDS = 'last_active_at';

  @IsBoolean()
  SYNC_ENROLLMENTS = true;

  /** Seconds between reads of the enrollments list (0: every run) — a large list on a cadence of its own (issue 16). */
  @IsInt()
  @Min(0)
  SYNC_ENROLLMENTS_INTERVAL_SECONDS = 21_600;

  /** Seconds between reads of GET /v1/account (seat figures for GET …/licenses; 0: every run). */
  @IsInt()
  @Min(0)
  SYNC_ACCOUNT_INTERVAL_SECONDS = 21_600;

  /**
   * Compresses time for fleet benchmarks: KnowBe4's rate windows and daily budget window, POLL_INTERVAL_SECONDS and the
   * list and graph cadences are divided by it. The sandbox takes the same TIME_SCALE. 1 = real time.
   */
  @IsNumber()
  @Min(1)
  @Max(3600)
  TIME_SCALE = 1;

  /** Runs this process works on at once (runs waiting for their account's pace or parked for its daily budget do not count). */
  @IsInt()
  @Min(1)
  @Max(128)
  SYNC_MAX_CONCURRENT_RUNS = 2;

  /**
   * Runs this process keeps started beyond SYNC_MAX_CONCURRENT_RUNS while they wait for their account's pace (a run
   * waiting for pace gives its slot to another account's run). Each costs memory and a lease heartbeat, no connection.
   */
  @IsInt()
  @Min(0)
  @Max(1024)
  SYNC_MAX_WAITING_RUNS = 32;

  /** Page requests in flight per run when walking page numbers (still paced by the account's limits); a cursor walk has one. */
  @IsInt()
  @Min(1)
  @Max(8)
  SYNC_PAGE_CONCURRENCY = 2;

  @IsInt()
  @Min(1)
  @Max(500)
  SYNC_PER_PAGE = 500;

  /**
   * How lists are walked: `auto` (cursors, falling back to page numbers per list when a tenant answers a cursor
   * request with a bare array), `cursor` (a bare array is an error) or `page` (page numbers, as before Nov 2026).
   */
  @IsIn(['auto', 'cursor', 'page'])
  SYNC_PAGINATION: 'auto' | 'cursor' | 'page' = 'auto';

  /** How often queued/due runs are looked for. */
  @IsInt()
  @Min(50)
  SYNC_SCHEDULER_TICK_MS = 1000;

  @IsInt()
  @Min(5)
  SYNC_LEASE_SECONDS = 120;

  /**
   * Pace KnowBe4 requests with the budget kept in Postgres, shared with the gateway and other pollers of the same
   * account (KnowBe4's limits are per account, not per process). Off: this process paces alone.
   */
  @IsBoolean()
  KNOWBE4_SHARED_BUDGET = true;

  /** Unseen users confirmed gone (GET /users/{id} → 404) per run before `deleted`; the rest wait a run. */
  @IsInt()
  @Min(0)
  SYNC_DELETE_CONFIRM_LIMIT = 100;

  /** A row created through SCIM and never matched to a Reporting user is asked after (SCIM GET) once untouched this long. */
  @IsInt()
  @Min(0)
  SYNC_GHOST_GRACE_SECONDS = 3600;

  /** A record whose JSON is longer than this is skipped (`too_large`): KnowBe4's own records are a few KB. */
  @IsInt()
  @Min(1024)
  SYNC_MAX_RECORD_CHARS = 65_536;

  @IsBoolean()
  OUTBOX_RELAY_ENABLED = true;

  @IsInt()
  @Min(1)
  @Max(5000)
  OUTBOX_BATCH_SIZE = 500;

  /** Also sync the identity graph: phishing campaigns, security tests, recipients, account/group/user risk history. */
  @IsBoolean()
  SYNC_GRAPH = true;

  /** Share of KnowBe4's daily budget (2,000 + licensed users) the identity graph may spend per rolling 24 hours. */
  @IsNumber()
  @Min(0)
  @Max(1)
  SYNC_GRAPH_DAILY_SHARE = 0.25;

  /** Most KnowBe4 requests one run spends on the graph (inside KnowBe4's burst of 50 a minute); the rest waits a run. */
  @IsInt()
  @Min(0)
  @Max(1000)
  SYNC_GRAPH_MAX_REQUESTS_PER_RUN = 30;

  /** Seconds between refreshes of the phishing campaign and security test lists. */
  @IsInt()
  @Min(60)
  SYNC_GRAPH_PHISHING_INTERVAL_SECONDS = 3600;

  /** Seconds before a recent test's recipients are read again (a test that changed is read at once). */
  @IsInt()
  @Min(60)
  SYNC_GRAPH_RECIPIENTS_INTERVAL_SECONDS = 21_600;

  /** Seconds between refreshes of account risk history, and between cycles over all groups' and users' histories. */
  @IsInt()
  @Min(60)
  SYNC_GRAPH_RISK_INTERVAL_SECONDS = 86_400;

  /** Users whose risk history one refresh reads (one request each); the slices go round all users. */
  @IsInt()
  @Min(0)
  @Max(10_000)
  SYNC_GRAPH_USER_RISK_SLICE = 200;

  /** Identifies this replica in sync_runs.lease_owner; defaults to host:pid:random. */
  @IsOptional()
  @IsString()
  POLLER_INSTANCE_ID?: string = undefined;
}
