import { metricsRegistry } from '@kb4/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The poller's Prometheus metrics, registered once per process on the shared registry. */
export class PollerMetrics {
  readonly runs = new Counter({ name: 'kb4_poller_sync_runs_total', help: 'Sync runs finished, by outcome', labelNames: ['outcome'], registers: [metricsRegistry] });
  readonly runDuration = new Histogram({
    name: 'kb4_poller_sync_run_duration_seconds',
    help: 'Wall time of one sync run execution',
    buckets: [1, 5, 15, 60, 300, 900, 3600],
    registers: [metricsRegistry],
  });
  readonly events = new Counter({ name: 'kb4_poller_events_total', help: 'Directory events written to the outbox, by type', labelNames: ['type'], registers: [metricsRegistry] });
  readonly pages = new Counter({ name: 'kb4_poller_pages_total', help: 'Reporting API pages processed, by list', labelNames: ['phase'], registers: [metricsRegistry] });
  readonly requests = new Counter({
    name: 'kb4_poller_knowbe4_requests_total',
    help: 'Reporting API HTTP attempts, by status',
    labelNames: ['status', 'outcome'],
    registers: [metricsRegistry],
  });
  readonly rateLimited = new Counter({ name: 'kb4_poller_knowbe4_429_total', help: 'Reporting API answers 429', registers: [metricsRegistry] });
  readonly credentialsRejected = new Counter({
    name: 'kb4_poller_accounts_auth_failed_total',
    help: 'Accounts marked auth_failed because KnowBe4 answered 401 to their Reporting API key',
    registers: [metricsRegistry],
  });

  readonly recordsSkipped = new Counter({
    name: 'kb4_poller_records_skipped_total',
    help: 'Records a sync run skipped because it could not store them, by entity and reason',
    labelNames: ['entity', 'reason'],
    registers: [metricsRegistry],
  });

  // ---- the fleet (issue 16 point 5): refreshed from Postgres every few scheduler ticks; every replica reports the
  // same per-account values, so aggregate with max() across replicas
  readonly accountLag = new Gauge({
    name: 'kb4_poller_account_sync_lag_seconds',
    help: 'Seconds since the account\'s last complete sync (absent until its first)',
    labelNames: ['integrated_account_id'],
    registers: [metricsRegistry],
  });
  readonly accountLagRatio = new Gauge({
    name: 'kb4_poller_account_sync_lag_ratio',
    help: 'Seconds since the last complete sync divided by the account\'s cadence (above 1: overdue)',
    labelNames: ['integrated_account_id'],
    registers: [metricsRegistry],
  });
  readonly accountBudgetUsed = new Gauge({
    name: 'kb4_poller_account_budget_used_today',
    help: 'KnowBe4 Reporting requests used in the account\'s current daily window (accounts this replica has synced)',
    labelNames: ['integrated_account_id'],
    registers: [metricsRegistry],
  });
  readonly accountsOverdue = new Gauge({ name: 'kb4_poller_accounts_overdue', help: 'Active accounts whose lag exceeds their cadence', registers: [metricsRegistry] });
  readonly runsWaitingForBudget = new Gauge({
    name: 'kb4_poller_runs_waiting_for_budget',
    help: 'Runs parked until their account\'s daily KnowBe4 budget reopens',
    registers: [metricsRegistry],
  });
  readonly runsInFlight = new Gauge({ name: 'kb4_poller_runs_in_flight', help: 'Runs this replica is executing', registers: [metricsRegistry] });
  readonly runsWaitingForPace = new Gauge({
    name: 'kb4_poller_runs_waiting_for_pace',
    help: 'Runs this replica has started that hold no slot: waiting for their account\'s 4/s or 50/min pace (or a retry backoff), or queued for a slot after it',
    registers: [metricsRegistry],
  });
  readonly runSlotsInUse = new Gauge({
    name: 'kb4_poller_run_slots_in_use',
    help: 'Runs this replica is working on (at most SYNC_MAX_CONCURRENT_RUNS)',
    registers: [metricsRegistry],
  });

  private static instance?: PollerMetrics;

  /** prom-client refuses a metric name twice in one registry; tests create several modules per process. */
  static shared(): PollerMetrics {
    PollerMetrics.instance ??= new PollerMetrics();
    return PollerMetrics.instance;
  }
}
