import { emptySyncRunCounts, SyncRecordSkipReason, SyncRunCounts, TOPICS } from '@kb4/contracts';
import { attributionOfSyncRun, SyncRunLeaseLostError } from '@kb4/persistence';
import type { IntegratedAccountEntity, LeasedRun, OutboxMessage, RejectedRecordWrite, SeenPhase, SyncRunEntity, SyncRunProgress } from '@kb4/persistence';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { RecordWrite } from '../diff/record-write';
import { auditDraftsOf } from '../events/audit-drafts';
import { recordSkippedEvent, RunContext, SkippedEntity } from '../events/directory-events';
import type { FetchedPage } from '../walk/page-fetcher';
import { Checkpoint, checkpointAfter, initialCheckpoint, maxId } from './checkpoint';
import type { SyncDependencies } from './sync-dependencies';

/** The run was aborted (shutdown, lease handed over); another poller or a restart resumes it. */
export class SyncInterrupted extends Error {}

/** The counter each list phase's seen records add to. */
const SEEN_COUNT: Record<SeenPhase, keyof SyncRunCounts | null> = { groups: 'groups_seen', users: 'users_seen', enrollments: null };

/**
 * What one run has done so far — counts, pages, requests, checkpoint — and the one transaction every unit of work
 * commits in: the lease is proven, the writes made, the events enqueued and the progress saved together.
 */
export class RunLedger {
  readonly ctx: RunContext;
  readonly log: Logger;
  counts: SyncRunCounts;
  pages: number;
  requests: number;
  checkpoint: Checkpoint;

  constructor(
    private readonly deps: SyncDependencies,
    readonly account: IntegratedAccountEntity,
    readonly run: SyncRunEntity,
    readonly signal: AbortSignal,
  ) {
    this.ctx = { accountId: account.id, runId: run.id };
    this.log = deps.logger.child({ integrated_account_id: account.id, sync_run_id: run.id });
    this.counts = { ...emptySyncRunCounts(), ...(run.counts as Partial<SyncRunCounts>) };
    this.pages = run.pages;
    this.requests = run.requests;
    this.checkpoint = initialCheckpoint(account, run);
  }

  /** A `summary` baseline stores the mirror without a directory event per record. */
  get emitsDirectoryEvents(): boolean {
    return !(this.checkpoint.baseline && this.deps.settings.baselineEvents === 'summary');
  }

  /** The run as a fast-path statement renews its lease. */
  get leasedRun(): LeasedRun {
    return { id: this.run.id, accountId: this.account.id, owner: this.deps.settings.owner, leaseSeconds: this.deps.settings.leaseSeconds };
  }

  throwIfAborted(): void {
    if (this.signal.aborted) throw new SyncInterrupted();
  }

  /** Proves (inside `manager`'s transaction) that this poller still owns the run. */
  assertOwner(manager: EntityManager): Promise<void> {
    return this.deps.lease.assertOwner(manager, this.run.id, this.deps.settings.owner, this.deps.settings.leaseSeconds);
  }

  /** One transaction: the write (which may return events it decided, e.g. after isolating a refused record), the events, the progress. */
  async commit(
    events: OutboxMessage[],
    write?: (manager: EntityManager) => Promise<void | OutboxMessage[]>,
    page?: { page: FetchedPage; ids: string[] },
  ): Promise<void> {
    this.throwIfAborted();
    if (page) {
      this.pages += 1;
      this.checkpoint = checkpointAfter(this.checkpoint, page.page, maxId(page.ids));
    }
    let all = events;
    let inserted = 0;
    await this.deps.dataSource.transaction(async (manager) => {
      await this.assertOwner(manager);
      const decided = write ? await write(manager) : undefined;
      if (decided && decided.length > 0) all = [...events, ...decided];
      // events_emitted counts directory events; sync-run topic events (lifecycle, skipped records) are enqueued apart
      const directory = all.filter((e) => e.topic === TOPICS.directoryEvents);
      // the audit log's entries of what this commit saw change, in its transaction (before the outbox: a chain head lock held briefly)
      await this.deps.audit?.append(manager, this.account.id, attributionOfSyncRun(this.run.id), auditDraftsOf(directory));
      const directoryInserted = await this.deps.outbox.enqueue(manager, directory);
      this.counts.events_emitted += directoryInserted;
      inserted = directoryInserted + (directory.length === all.length ? 0 : await this.deps.outbox.enqueue(manager, all.filter((e) => e.topic !== TOPICS.directoryEvents)));
      await this.deps.lease.saveProgress(manager, this.run.id, this.progress());
    });
    if (all.length > 0) {
      this.deps.onEvents?.(all.map((e) => e.event.type));
      if (inserted > 0) this.deps.onEventsCommitted?.();
    }
  }

  /** The counts as they stand once `seen` more records of `phase` are counted as seen. */
  countsWithSeen(phase: SeenPhase, seen: number): SyncRunCounts {
    const seenField = SEEN_COUNT[phase];
    return { ...this.finalCounts(), ...(seenField ? { [seenField]: this.counts[seenField] + seen } : {}) };
  }

  /** A fast path committed `pages` pages holding `seen` records and left the run at `checkpoint`. */
  pagesCommitted(phase: SeenPhase, pages: number, seen: number, checkpoint: Checkpoint): void {
    const seenField = SEEN_COUNT[phase];
    this.pages += pages;
    this.checkpoint = checkpoint;
    if (seenField) this.counts[seenField] += seen;
  }

  progress(): SyncRunProgress {
    return { pages: this.pages, requests: this.requests, counts: this.finalCounts(), checkpoint: this.checkpoint };
  }

  finalCounts(): SyncRunCounts {
    return { ...this.counts, requests_made: this.requests };
  }

  baseData(): Record<string, unknown> {
    const trigger = ['schedule', 'manual', 'initial'].includes(this.run.trigger) ? this.run.trigger : 'schedule';
    return { trigger, started_at: this.run.startedAt.toISOString() };
  }

  /** Saves the progress (a phase done, nothing to enqueue) and renews the lease in one statement; throws when the run is no longer ours. */
  async saveCheckpoint(): Promise<void> {
    this.throwIfAborted();
    const { lease, dataSource, settings } = this.deps;
    if (!(await lease.saveProgressIfOwner(dataSource, this.run.id, settings.owner, settings.leaseSeconds, this.progress()))) throw new SyncRunLeaseLostError(this.run.id);
  }

  /** Counts and reports a record this run could not store; the event names it, never its values. */
  skipRecord(entity: SkippedEntity, page: FetchedPage, remoteId: string, reason: SyncRecordSkipReason, dbCode?: string): OutboxMessage {
    this.counts.records_skipped += 1;
    this.deps.onRecordSkipped?.(entity, reason);
    this.log.warn({ entity, remote_id: remoteId, page: page.page, reason, db_code: dbCode }, 'record skipped: it cannot be stored; the run goes on');
    return recordSkippedEvent(this.ctx, { entity, remoteId, page: page.page, reason, dbCode });
  }

  /** Dirty entries (no id, an enrollment of an unknown user): counted, not reported one by one. */
  countDirty(entity: SkippedEntity, reason: 'no_id' | 'unknown_user', times = 1): void {
    for (let i = 0; i < times; i++) {
      this.counts.records_skipped += 1;
      this.deps.onRecordSkipped?.(entity, reason);
    }
  }

  /**
   * After a page's mirror write: the records the database refused are reported (and their events, counts and
   * memberships dropped); the counts of the others are applied. Returns the rest and the events to enqueue.
   */
  settleWrites<W extends { remoteId: string }>(
    entity: SkippedEntity,
    page: FetchedPage,
    entries: readonly RecordWrite<W>[],
    rejected: readonly RejectedRecordWrite[],
  ): { kept: RecordWrite<W>[]; events: OutboxMessage[] } {
    const refused = new Map(rejected.map((r) => [r.remoteId, r.code]));
    const kept: RecordWrite<W>[] = [];
    const events: OutboxMessage[] = [];
    for (const entry of entries) {
      const code = refused.get(entry.write.remoteId);
      if (code !== undefined) {
        events.push(this.skipRecord(entity, page, entry.write.remoteId, 'rejected', code));
        continue;
      }
      for (const field of entry.counts) this.counts[field] += 1;
      events.push(...entry.events);
      kept.push(entry);
    }
    return { kept, events };
  }
}
