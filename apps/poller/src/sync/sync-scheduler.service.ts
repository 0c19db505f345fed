import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import {
  budgetKeyFor,
  dailyWindowMs,
  RatePacerRegistry,
  ReportingClient,
  ScimClient,
  scimBaseUrl,
  SharedRatePacerRegistry,
  type PacerRegistry,
  type WorkSlot,
} from '@kb4/knowbe4';
import {
  CredentialCipher,
  FleetStatusRepository,
  IdentityGraphWriteRepository,
  IntegratedAccountEntity,
  IntegratedAccountRepository,
  LicenseRepository,
  MirrorWriteRepository,
  AuditLogRepository,
  OutboxRepository,
  PageFingerprintRepository,
  RateBudgetRepository,
  SnapshotRepository,
  SyncQueueRepository,
  SyncRunEntity,
  SyncRunClaimer,
  type ClaimOptions,
  SyncRunLeaseRepository,
} from '@kb4/persistence';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { DataSource } from 'typeorm';
import { PollerConfig } from '../config/poller.config';
import { PollerMetrics } from '../metrics/poller-metrics';
import { POLLER_LOGGER } from '../poller.tokens';
import { PollerOutboxRelayService } from '../relay/poller-outbox-relay.service';
import { AccountSync, SyncDependencies, SyncOutcome } from './run/account-sync';
import { RunSlot, RunSlots } from './run/run-slots';
import { graphSettings } from './graph/graph-settings';

interface ActiveRun {
  runId: string;
  abort: AbortController;
  done: Promise<void>;
  slot: RunSlot;
}

/**
 * Queues due runs (per-account interval), picks up queued/resumable runs promptly and executes them. An
 * account is synced by one poller at a time: the run's executor holds a session-level advisory lock on the
 * account for the whole run (all of a process's on one connection, SyncRunClaimer; released by Postgres the moment
 * its process dies) and owns the run's lease. Runs are claimed in batches, one statement per tick.
 * SYNC_MAX_CONCURRENT_RUNS runs work at once (RunSlots); a run waiting for its account's pace gives its slot to
 * another account's run meanwhile, so up to SYNC_MAX_WAITING_RUNS more are started and wait cheaply.
 */
@Injectable()
export class SyncScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly owner: string;
  private readonly active = new Map<string, ActiveRun>();
  private readonly slots: RunSlots;
  private readonly deps: SyncDependencies;
  private readonly queue: SyncQueueRepository;
  private readonly claims: SyncRunClaimer;
  private readonly lease = new SyncRunLeaseRepository();
  private readonly accounts: IntegratedAccountRepository;
  /** One per process; undefined = the in-process registry of the client library. */
  private readonly pacers?: PacerRegistry;
  private readonly metrics = PollerMetrics.shared();
  private readonly fleet: FleetStatusRepository;
  /** Budget keys of the accounts this replica has synced (a hash of region and key), for the budget gauge. */
  private readonly budgetKeys = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopping = false;
  private ticks = 0;
  private leasesRenewedAt = 0;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PollerConfig) private readonly config: PollerConfig,
    @Inject(POLLER_LOGGER) private readonly logger: Logger,
    @Optional() @Inject(PollerOutboxRelayService) private readonly relay?: PollerOutboxRelayService,
  ) {
    this.owner = config.POLLER_INSTANCE_ID ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.queue = new SyncQueueRepository(dataSource);
    this.claims = new SyncRunClaimer(config.DATABASE_URL, `kb4-poller-run:${this.owner}`, (error) => this.locksLost(error));
    this.slots = new RunSlots(config.SYNC_MAX_CONCURRENT_RUNS, () => this.refreshSlotGauges());
    this.fleet = new FleetStatusRepository(dataSource);
    const timeScale = config.TIME_SCALE;
    if (config.KNOWBE4_SHARED_BUDGET) this.pacers = new SharedRatePacerRegistry(new RateBudgetRepository(dataSource), { timeScale });
    else if (timeScale !== 1) this.pacers = new RatePacerRegistry({ timeScale });
    this.accounts = new IntegratedAccountRepository(dataSource, CredentialCipher.fromConfig(config));
    this.deps = {
      dataSource,
      lease: this.lease,
      fingerprints: new PageFingerprintRepository(dataSource),
      accounts: this.accounts,
      licenses: new LicenseRepository(dataSource),
      snapshot: new SnapshotRepository(dataSource),
      mirror: new MirrorWriteRepository(),
      outbox: new OutboxRepository(dataSource),
      audit: new AuditLogRepository(dataSource),
      logger: logger.child({ component: 'sync', poller: this.owner }),
      settings: {
        owner: this.owner,
        baselineEvents: config.BASELINE_EVENTS,
        userEventIgnore: config.USER_EVENT_IGNORE_FIELDS.split(',').map((f) => f.trim()).filter(Boolean),
        syncEnrollments: config.SYNC_ENROLLMENTS,
        perPage: config.SYNC_PER_PAGE,
        pagination: config.SYNC_PAGINATION,
        pageConcurrency: config.SYNC_PAGE_CONCURRENCY,
        leaseSeconds: config.SYNC_LEASE_SECONDS,
        deleteConfirmLimit: config.SYNC_DELETE_CONFIRM_LIMIT,
        maxRecordChars: config.SYNC_MAX_RECORD_CHARS,
        ghostGraceSeconds: config.SYNC_GHOST_GRACE_SECONDS,
        listCadences: {
          defaultSyncIntervalSeconds: config.POLL_INTERVAL_SECONDS,
          enrollmentsIntervalSeconds: config.SYNC_ENROLLMENTS ? config.SYNC_ENROLLMENTS_INTERVAL_SECONDS : null,
          accountIntervalSeconds: config.SYNC_ACCOUNT_INTERVAL_SECONDS,
          timeScale,
        },
        graphDailyShare: config.SYNC_GRAPH ? config.SYNC_GRAPH_DAILY_SHARE : 0,
      },
      graph: config.SYNC_GRAPH ? { repository: new IdentityGraphWriteRepository(dataSource), settings: graphSettings(config) } : undefined,
      createClient: (account, onRequest, dispatcher, workSlot) => this.clientFor(account, onRequest, dispatcher, workSlot),
      onEventsCommitted: () => this.relay?.nudge(),
      onPage: (phase) => this.metrics.pages.inc({ phase }),
      onEvents: (types) => types.forEach((type) => this.metrics.events.inc({ type })),
      onRequest: (event) => {
        this.metrics.requests.inc({ status: String(event.status ?? 'none'), outcome: event.outcome });
        if (event.status === 429) this.metrics.rateLimited.inc();
      },
      onCredentialsRejected: () => this.metrics.credentialsRejected.inc(),
      onRecordSkipped: (entity, reason) => this.metrics.recordsSkipped.inc({ entity, reason }),
      createScimClient: (account) => this.scimClientFor(account),
    };
  }

  onApplicationBootstrap(): void {
    this.logger.info({ poller: this.owner }, 'sync scheduler started');
    this.schedule(0);
  }

  /** Before the data source closes: the page in flight commits, the run stays resumable. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.ticking;
    for (const run of this.active.values()) run.abort.abort();
    await Promise.all([...this.active.values()].map((run) => run.done));
    await this.claims.close();
  }

  /** The lock session is gone, and every account lock with it: the runs stop (resumable) before another replica resumes them. */
  private locksLost(error: Error): void {
    if (this.stopping) return;
    this.logger.error({ err: error, runs: this.active.size }, 'account lock session lost; interrupting this replica\'s runs');
    for (const run of this.active.values()) run.abort.abort();
  }

  /** Run ids this process is executing right now. */
  get runningRunIds(): string[] {
    return [...this.active.values()].map((run) => run.runId);
  }

  private schedule(delay: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule(this.config.SYNC_SCHEDULER_TICK_MS));
    }, delay);
  }

  /** Started runs, working or waiting for their account's pace. */
  private get maxRuns(): number {
    return this.config.SYNC_MAX_CONCURRENT_RUNS + this.config.SYNC_MAX_WAITING_RUNS;
  }

  private async tick(): Promise<void> {
    try {
      // the leases of runs that wait (for pace, or for a slot) are renewed here: only their process's death lapses them
      await this.renewLeases();
      // a dead replica's runs (lease expired) are rescued first, even by a full replica (SYNC_MAX_CONCURRENT_RUNS more
      // than it would start), so they are picked up within one lease period of the kill; one without a free slot
      // queues for one ahead of any new run
      const rescueLimit = this.maxRuns + this.config.SYNC_MAX_CONCURRENT_RUNS;
      if (this.active.size < rescueLimit && !this.stopping) {
        for (const run of await this.claims.claimExpired(this.claimOptions(rescueLimit - this.active.size))) this.start(run);
      }
      await this.queue.enqueueDueRuns(this.config.POLL_INTERVAL_SECONDS, this.config.TIME_SCALE);
      // new runs only on slots free now (runs back from a pace wait take theirs first)
      const free = this.slots.queued > 0 ? 0 : Math.min(this.slots.limit - this.slots.used, this.maxRuns - this.active.size);
      if (free > 0 && !this.stopping) {
        // manual runs first, then the most overdue, claimed with their accounts' locks in one statement
        for (const run of await this.claims.claimDue(this.claimOptions(free))) this.start(run);
      }
      if (this.ticks++ % 5 === 0) {
        await this.relay?.refreshLagMetrics();
        await this.refreshFleetMetrics();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'scheduler tick failed; retrying next tick');
    }
  }

  /** Four times a lease period: a lease never gets near its end while its replica lives. */
  private async renewLeases(): Promise<void> {
    const now = Date.now();
    if (this.active.size === 0 || now - this.leasesRenewedAt < (this.config.SYNC_LEASE_SECONDS * 1000) / 4) return;
    this.leasesRenewedAt = now;
    await this.lease.renew(this.dataSource.manager, this.runningRunIds, this.owner, this.config.SYNC_LEASE_SECONDS);
  }

  private refreshSlotGauges(): void {
    this.metrics.runSlotsInUse.set(this.slots.used);
    this.metrics.runsWaitingForPace.set(Math.max(0, this.active.size - this.slots.used));
  }

  /** Per-account lag against cadence, budget used today, runs parked for their budget (issue 16 point 5). */
  private async refreshFleetMetrics(): Promise<void> {
    const lags = await this.fleet.syncLagOfActive(this.config.POLL_INTERVAL_SECONDS, this.config.TIME_SCALE);
    const { accountLag, accountLagRatio, accountBudgetUsed, accountsOverdue, runsWaitingForBudget, runsInFlight } = this.metrics;
    accountLag.reset();
    accountLagRatio.reset();
    let overdue = 0;
    let waiting = 0;
    for (const lag of lags) {
      if (lag.waitingForBudget) waiting++;
      if (lag.lagSeconds === null) continue;
      accountLag.set({ integrated_account_id: lag.accountId }, lag.lagSeconds);
      accountLagRatio.set({ integrated_account_id: lag.accountId }, lag.lagSeconds / lag.cadenceSeconds);
      if (lag.lagSeconds > lag.cadenceSeconds) overdue++;
    }
    accountsOverdue.set(overdue);
    runsWaitingForBudget.set(waiting);
    runsInFlight.set(this.active.size);
    const used = await this.fleet.budgetsUsedToday([...this.budgetKeys.values()], dailyWindowMs(this.config.TIME_SCALE), Date.now());
    accountBudgetUsed.reset();
    for (const [accountId, key] of this.budgetKeys) accountBudgetUsed.set({ integrated_account_id: accountId }, used.get(key) ?? 0);
  }

  private claimOptions(limit: number): ClaimOptions {
    return { owner: this.owner, leaseSeconds: this.config.SYNC_LEASE_SECONDS, limit, busyAccountIds: [...this.active.keys()] };
  }

  /** Executes a claimed run (its account's lock held by this process's claimer) on a free slot, or queued for one. */
  private start(run: SyncRunEntity): void {
    const slot = this.slots.tryTake() ?? this.slots.withoutSlot();
    const abort = new AbortController();
    const done = this.execute(run, abort.signal, slot)
      // execute() handles a run's own failures; what escapes it (e.g. Postgres gone while recording that the
      // run could not start) is logged here, so it can never become an unhandled rejection that kills the poller
      .catch((error: unknown) => this.logger.error({ err: error, integrated_account_id: run.accountId, sync_run_id: run.id }, 'sync run could not be recorded'))
      .finally(async () => {
        slot.close();
        // unlocked while the account still counts as busy, so no claim of this process locks it again meanwhile
        await this.claims.release(run.accountId);
        this.active.delete(run.accountId);
        this.refreshSlotGauges();
      });
    this.active.set(run.accountId, { runId: run.id, abort, done, slot });
    this.refreshSlotGauges();
  }

  private async execute(run: SyncRunEntity, signal: AbortSignal, slot: RunSlot): Promise<void> {
    try {
      // a rescued run may start without a slot: it works once one is handed to it
      await slot.takeBack(signal);
    } catch {
      return; // shut down while queued: the run stays resumable
    }
    const account = await this.accounts.findById(run.accountId);
    if (!account) return;
    const stopTimer = this.metrics.runDuration.startTimer();
    let outcome: SyncOutcome = 'failed';
    let sync: AccountSync;
    try {
      // a run queued before its account's key was rejected: KnowBe4 would only answer 401 again
      if (account.status === 'auth_failed') throw new Error('KnowBe4 rejected the account\'s Reporting API key; re-verify or replace its credentials first');
      sync = new AccountSync(this.deps, account, run, signal, slot);
    } catch (error) {
      // e.g. stored credentials no configured key decrypts: fail the run, so the account waits its interval
      // instead of being retried (and logged) every scheduler tick
      const message = `the run could not start: ${(error as Error).message}`;
      this.logger.error({ integrated_account_id: account.id, sync_run_id: run.id, reason: message }, 'sync run could not start');
      await this.dataSource.transaction((manager) => this.lease.fail(manager, run.id, message, { pages: 0, requests: 0, counts: {}, checkpoint: {} }));
      stopTimer();
      this.metrics.runs.inc({ outcome });
      return;
    }
    try {
      outcome = await sync.execute();
    } catch (error) {
      this.logger.error({ err: error, integrated_account_id: account.id, sync_run_id: run.id }, 'sync run crashed');
    } finally {
      stopTimer();
      this.metrics.runs.inc({ outcome });
      this.logger.info({ integrated_account_id: account.id, sync_run_id: run.id, outcome, poller: this.owner }, 'sync run finished');
    }
  }

  /** Only for confirming that users created through SCIM are gone (GET /Users/{id}); few quick retries. */
  private scimClientFor(account: IntegratedAccountEntity): ScimClient {
    const { scim_token } = this.accounts.credentialsOf(account);
    return new ScimClient({
      // the override sends every KnowBe4 call to the sandbox, whatever Tenant URL the account stored
      baseUrl: this.config.KNOWBE4_BASE_URL_OVERRIDE
        ? scimBaseUrl(account.region, this.config.KNOWBE4_BASE_URL_OVERRIDE)
        : (account.scimBaseUrl ?? scimBaseUrl(account.region)),
      token: scim_token,
      pacer: this.config.KNOWBE4_RATE_PROFILE,
      retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2_000, maxElapsedMs: 10_000 },
      timeoutMs: 20_000,
      userAgent: 'kb4-directory-poller',
    });
  }

  private clientFor(account: IntegratedAccountEntity, onRequest: SyncDependencies['onRequest'], dispatcher: Dispatcher, workSlot?: WorkSlot): ReportingClient {
    const credentials = this.accounts.credentialsOf(account);
    this.budgetKeys.set(account.id, budgetKeyFor(account.region, credentials.reporting_api_key));
    return new ReportingClient({
      region: account.region,
      apiKey: credentials.reporting_api_key,
      baseUrlOverride: this.config.KNOWBE4_BASE_URL_OVERRIDE,
      pacer: this.config.KNOWBE4_RATE_PROFILE,
      pacerRegistry: this.pacers,
      // syncs keep a reserved share of the account's budget; a run waits as long as it takes (its abort ends the wait),
      // with its slot given to another account's run meanwhile
      pacing: { lane: 'sync', holder: account.id, workSlot },
      onRequest,
      dispatcher,
    });
  }
}
