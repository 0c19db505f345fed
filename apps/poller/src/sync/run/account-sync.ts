import { KnowBe4Account, KnowBe4AuthError, KnowBe4BudgetExhaustedError, KnowBe4Error, ReportingClient, sharedDispatcher, type WorkSlot } from '@kb4/knowbe4';
import { IntegratedAccountEntity, SeenPhase, SyncRunEntity, SyncRunLeaseLostError } from '@kb4/persistence';
import { safeErrorMessage } from '@kb4/platform';
import type { PageScope } from '../apply/page-scope';
import { PageCommitter } from '../commit/page-committer';
import { deleteGhostUsers } from '../deletion/ghost-users';
import { SeenCoverage } from '../deletion/seen-coverage';
import { UnseenRecordSweep } from '../deletion/unseen-records';
import { GroupDirectory } from '../diff/group-directory';
import { GraphSync } from '../graph/graph-sync';
import { syncRunEvent } from '../events/directory-events';
import { walkList } from '../walk/list-walk';
import { minimumDirectoryRequests, planDay, planRunLists, type ListCadences, type RunListPlan } from '../plan/request-plan';
import { PHASES, phaseStart } from './checkpoint';
import { RunLedger, SyncInterrupted } from './run-ledger';
import type { SyncDependencies, SyncOutcome } from './sync-dependencies';

export type { SyncDependencies, SyncOutcome, SyncSettings } from './sync-dependencies';

/**
 * One sync run of one account: groups, users (every status), enrollments, then — only when every list was
 * read to the end — deletions. Each page is diffed against the mirror and committed in one transaction with
 * its events (outbox), the ids it saw and the run's checkpoint, so a crash loses at most the page in flight and
 * a re-run re-creates the same event ids.
 */
export class AccountSync {
  private readonly ledger: RunLedger;
  private readonly client: ReportingClient;
  private readonly scope: PageScope;
  private readonly committer: PageCommitter;
  /** Whether this run's walks saw every mirror row, learnt during the walks (see deletion/seen-coverage). */
  private readonly coverage: SeenCoverage;
  private groups = GroupDirectory.empty();
  /** Which lists with cadences of their own (enrollments, GET /account) this run reads. */
  private readonly lists: RunListPlan;
  /** Requests spent per phase (and `account`, `deletion` within finalize), for the run's request plan. */
  private readonly requestsBy: Record<string, number> = {};
  private step: string;

  constructor(
    private readonly deps: SyncDependencies,
    private readonly account: IntegratedAccountEntity,
    private readonly run: SyncRunEntity,
    signal: AbortSignal,
    /** The run's slot among the working runs (the scheduler's); its requests give it back while they wait for pace. */
    workSlot?: WorkSlot,
  ) {
    this.ledger = new RunLedger(deps, account, run, signal);
    this.client = deps.createClient(
      account,
      (event) => {
        this.ledger.requests += 1;
        this.requestsBy[this.step] = (this.requestsBy[this.step] ?? 0) + 1;
        deps.onRequest?.(event);
      },
      deps.baseDispatcher ?? sharedDispatcher(),
      workSlot,
    );
    this.scope = { ledger: this.ledger, deps, groups: () => this.groups };
    this.committer = new PageCommitter(this.scope);
    this.coverage = new SeenCoverage(deps.snapshot, account.id, run.id, this.ledger.log);
    this.step = this.ledger.checkpoint.phase;
    this.lists = this.planLists();
  }

  /** Enrollments and GET /account are read when their cadence has passed (always, without configured cadences). */
  private planLists(): RunListPlan {
    const { settings } = this.deps;
    const cadences = this.cadences();
    if (!cadences) return { enrollments: settings.syncEnrollments ? { read: true } : { read: false, due_at: null }, account: { read: true } };
    const plan = planRunLists(new Date(), this.account, cadences);
    // a run resumed inside the enrollments phase finishes what it started
    if (this.ledger.checkpoint.phase === 'enrollments' && settings.syncEnrollments) return { ...plan, enrollments: { read: true } };
    return plan;
  }

  private cadences(): ListCadences | undefined {
    const configured = this.deps.settings.listCadences;
    if (!configured) return undefined;
    return { ...configured, syncIntervalSeconds: this.account.pollIntervalSeconds ?? configured.defaultSyncIntervalSeconds };
  }

  async execute(): Promise<SyncOutcome> {
    const { ledger } = this;
    const resumed = this.run.checkpoint !== null;
    ledger.log.info({ resumed, checkpoint: ledger.checkpoint, trigger: this.run.trigger }, 'sync run started');
    try {
      if (!resumed) await ledger.commit([syncRunEvent(ledger.ctx, 'started', ledger.baseData())]);
      for (let i = PHASES.indexOf(ledger.checkpoint.phase); i < PHASES.length; i++) {
        const phase = PHASES[i];
        this.step = phase;
        if (phase === 'finalize') await this.finalize();
        else if (phase === 'graph') await this.refreshGraph();
        else if (phase !== 'enrollments' || this.lists.enrollments.read) await this.runListPhase(phase);
        const next = PHASES[i + 1];
        if (next) {
          ledger.checkpoint = phaseStart(ledger.checkpoint, next);
          // a phase boundary enqueues nothing: one statement, not a transaction of four
          await ledger.saveCheckpoint();
        }
      }
      ledger.log.info({ counts: ledger.counts, pages: ledger.pages, requests: ledger.requests }, 'sync run completed');
      return 'completed';
    } catch (error) {
      return this.settle(error);
    } finally {
      await this.coverage.settled();
    }
  }

  private async runListPhase(phase: SeenPhase): Promise<void> {
    if (phase !== 'groups' && this.groups.size === 0) await this.loadGroups();
    await walkList({ ledger: this.ledger, client: this.client, settings: this.deps.settings, committer: this.committer, coverage: this.coverage }, phase);
    if (phase === 'groups') await this.loadGroups();
  }

  /** The identity graph, when the poller syncs it: planned against the budget, then refreshed (sync/graph). */
  private async refreshGraph(): Promise<void> {
    if (!this.deps.graph) return;
    const result = await new GraphSync(this.ledger, this.client, this.deps.graph, this.deps.settings.pagination ?? 'auto').run();
    this.ledger.log.info({ graph: { steps: result.steps.map((s) => s.resource), skipped: result.skipped, outcome: result.outcome } }, 'identity graph refreshed');
  }

  private async loadGroups(): Promise<void> {
    const names = await this.deps.snapshot.groupNames(this.account.id);
    const groups = await this.deps.snapshot.groupsByRemoteId(this.account.id, [...names.keys()]);
    this.groups = new GroupDirectory(names, new Map([...groups].map(([id, group]) => [id, group.record])));
  }

  // ---- finalize: deletions after a complete run, then the run record

  private async finalize(): Promise<void> {
    const { ledger, deps } = this;
    if (this.groups.size === 0) await this.loadGroups();
    let complete = true;
    if (ledger.counts.users_seen === 0 && (await deps.snapshot.countUsers(this.account.id)) > 0) {
      // an empty user list against a populated mirror is far likelier an upstream glitch than a wiped tenant
      complete = false;
      ledger.log.warn('KnowBe4 listed no users while the mirror has some; not deleting anything this run');
    }
    if (complete) {
      this.step = 'deletion';
      const sweep = new UnseenRecordSweep(this.scope, this.client, this.coverage);
      await sweep.deleteUnseenUsers();
      await deleteGhostUsers(this.scope);
      await sweep.deleteUnseenGroups();
      // only a run that read the list to its end knows which enrollments are gone
      if (this.lists.enrollments.read) await sweep.deleteUnseenEnrollments();
    }
    this.step = 'account';
    const subscription = this.lists.account.read ? await this.readSubscription() : null;
    const requestPlan = await this.requestPlan();
    await deps.dataSource.transaction(async (manager) => {
      await ledger.assertOwner(manager);
      if (subscription) await deps.licenses?.recordSubscription(manager, this.account.id, this.run.id, subscription);
      const data = { ...ledger.baseData(), completed_at: new Date().toISOString(), complete, baseline: ledger.checkpoint.baseline, counts: ledger.finalCounts() };
      await deps.outbox.enqueue(manager, [syncRunEvent(ledger.ctx, 'completed', data)]);
      await deps.lease.complete(manager, this.run.id, ledger.progress());
      await deps.lease.recordRequestPlan(manager, this.run.id, requestPlan);
      await deps.accounts.markSyncCompleted(manager, this.account.id, { enrollments: complete && this.lists.enrollments.read, account: subscription !== null });
    });
    deps.onEventsCommitted?.();
  }

  /**
   * What this run spent per phase against the fewest requests a no-change sync needs, which lists it left for their
   * own cadence, and the account's request plan for the day (issue 16 point 3); stored on the run (`request_plan`).
   */
  private async requestPlan(): Promise<Record<string, unknown>> {
    const { counts } = this.ledger;
    const perPage = this.deps.settings.perPage;
    const minimum = minimumDirectoryRequests(counts.users_seen, counts.groups_seen, perPage);
    const cadences = this.cadences();
    const day = cadences
      ? planDay({
          users: counts.users_seen,
          groups: counts.groups_seen,
          enrollments: await this.deps.snapshot.countEnrollments(this.account.id),
          perPage,
          cadences,
          graphShare: this.deps.graph ? (this.deps.settings.graphDailyShare ?? 0) : 0,
        })
      : null;
    return { requests: this.ledger.requests, minimum, by_phase: { ...this.requestsBy }, lists: this.lists, day };
  }

  /** GET /v1/account for its seat figures (GET …/licenses reads them from here): one request a run, never fatal. */
  private async readSubscription(): Promise<KnowBe4Account | null> {
    if (!this.deps.licenses) return null;
    try {
      return await this.client.getAccount({ signal: this.ledger.signal });
    } catch (error) {
      if (error instanceof KnowBe4BudgetExhaustedError || this.ledger.signal.aborted) throw error;
      this.ledger.log.warn({ err: error }, 'GET /account failed; the seat figures of an earlier run stay');
      return null;
    }
  }

  // ---- how a run that stopped ends

  private async settle(error: unknown): Promise<SyncOutcome> {
    if (error instanceof SyncInterrupted || this.ledger.signal.aborted) {
      this.ledger.log.info({ checkpoint: this.ledger.checkpoint }, 'sync run interrupted; another poller or a restart resumes it');
      return 'interrupted';
    }
    if (error instanceof SyncRunLeaseLostError) {
      this.ledger.log.warn('sync run lease lost; stopping');
      return 'interrupted';
    }
    if (error instanceof KnowBe4BudgetExhaustedError) return this.parkForBudget(error);
    return this.fail(error instanceof Error ? error : new Error(String(error)));
  }

  private async parkForBudget(error: KnowBe4BudgetExhaustedError): Promise<SyncOutcome> {
    const { ledger, deps } = this;
    await deps.dataSource.transaction(async (manager) => {
      await ledger.assertOwner(manager);
      await deps.lease.waitForBudget(manager, this.run.id, error.resumeAt, ledger.progress());
    });
    ledger.log.warn({ resume_at: error.resumeAt.toISOString(), checkpoint: ledger.checkpoint }, 'daily KnowBe4 budget spent; run parked');
    return 'waiting_for_budget';
  }

  /** Records the failure (run, event) and, for a 401, marks the account `auth_failed`. */
  private async fail(failure: Error): Promise<SyncOutcome> {
    const { ledger } = this;
    // 401: the key was revoked, or never belonged to this region; retrying on schedule only spends budget
    const credentialsRejected = failure instanceof KnowBe4AuthError && failure.status === 401;
    if (!credentialsRejected) ledger.log.error({ err: failure, checkpoint: ledger.checkpoint }, 'sync run failed; nothing deleted');
    let markedAuthFailed: boolean;
    try {
      markedAuthFailed = await this.recordFailure(failure, credentialsRejected);
      this.deps.onEventsCommitted?.();
    } catch (recordError) {
      if (recordError instanceof SyncRunLeaseLostError) return 'interrupted';
      throw recordError;
    }
    if (markedAuthFailed) {
      // logged once per rejection: the account is not scheduled again until the gateway re-verifies it
      ledger.log.error(
        { err: failure, status: 401, region: this.account.region },
        'KnowBe4 rejected the Reporting API key (401: revoked, or a key of another region); account marked auth_failed, no syncs until its credentials are re-verified',
      );
      this.deps.onCredentialsRejected?.();
    } else if (credentialsRejected) {
      ledger.log.info({ status: 401 }, 'sync run failed: KnowBe4 rejected the Reporting API key (account already auth_failed, or its credentials changed meanwhile)');
    }
    return 'failed';
  }

  /** One transaction: the `failed` event, the run record, and the account marked `auth_failed` (true when this call did). */
  private recordFailure(failure: Error, credentialsRejected: boolean): Promise<boolean> {
    const { ledger, deps } = this;
    const known = failure instanceof KnowBe4Error ? failure : undefined;
    const error = {
      code: known ? known.insight : 'sync_error',
      message: safeErrorMessage(failure),
      retryable: known ? known.transient : false,
      ...(known && known.status !== undefined ? { status: known.status } : {}),
    };
    return deps.dataSource.transaction(async (manager) => {
      await ledger.assertOwner(manager);
      const data = { ...ledger.baseData(), failed_at: new Date().toISOString(), counts: ledger.finalCounts(), complete: false, error };
      await deps.outbox.enqueue(manager, [syncRunEvent(ledger.ctx, 'failed', data)]);
      // the run record and the event are read by API clients: no value a database error quoted
      await deps.lease.fail(manager, this.run.id, safeErrorMessage(failure), ledger.progress());
      return credentialsRejected ? deps.accounts.markCredentialsRejected(manager, this.account.id, this.account.credentialsCiphertext) : false;
    });
  }
}
