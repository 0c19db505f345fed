import { DIRECTORY_EVENT_TYPES, emptySyncRunCounts, SyncRecordSkipReason, SyncRunCounts, TOPICS } from '@kb4/contracts';
import {
  KnowBe4AuthError,
  KnowBe4BudgetExhaustedError,
  KnowBe4Error,
  KnowBe4NotFoundError,
  KnowBe4RequestEvent,
  ReportingClient,
  ScimClient,
  sharedDispatcher,
} from '@kb4/knowbe4';
import {
  DEFAULT_GROUP_DIFF_IGNORE,
  diffRecords,
  NormalizedKnowBe4User,
  toUnifiedGroup,
  toUnifiedUser,
  tryNormalizeKnowBe4Group,
  tryNormalizeKnowBe4User,
} from '@kb4/mapping';
import {
  GhostCandidate,
  IntegratedAccountEntity,
  MembershipPair,
  MirrorWriteRepository,
  OutboxMessage,
  OutboxRepository,
  RejectedRecordWrite,
  SeenPhase,
  SnapshotEnrollment,
  SnapshotRepository,
  SnapshotUser,
  StoredPageFingerprint,
  SyncedEnrollmentWrite,
  SyncedGroupWrite,
  SyncedUserWrite,
  SyncRunEntity,
  SyncRunLeaseLostError,
  SyncRunProgress,
  SyncRunRepository,
} from '@kb4/persistence';
import { safeErrorMessage } from '@kb4/platform';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { DataSource, EntityManager } from 'typeorm';
import { changesJson, directoryEvent, membershipEvent, recordSkippedEvent, RunContext, SkippedEntity, syncRunEvent } from './directory-events';
import { CursorRejectedError, fetchPages, FetchedPage, ListPagination, PaginationSetting } from './page-fetcher';
import { fetchedRecordHash, pageFingerprint, remoteIdOf } from './record-hash';
import { unstorableReason } from './storable';
import { classifyUserChange, membershipDelta } from './user-changes';

export interface SyncSettings {
  owner: string;
  baselineEvents: 'created' | 'summary';
  userEventIgnore: string[];
  syncEnrollments: boolean;
  perPage: number;
  /** How lists are walked (default `auto`: cursors, or page numbers for a tenant whose API predates them). */
  pagination?: PaginationSetting;
  /** Page requests in flight when walking page numbers (a cursor walk has one). */
  pageConcurrency: number;
  leaseSeconds: number;
  /** How many unseen users a run confirms with GET /users/{id} before deleting them (see confirmUsersGone). */
  deleteConfirmLimit?: number;
  /** A record whose JSON is longer is skipped as `too_large` (default 65,536 characters). */
  maxRecordChars?: number;
  /** How long a SCIM-created row no sync matched stays before SCIM is asked whether it still exists (default 3600). */
  ghostGraceSeconds?: number;
}

export interface SyncDependencies {
  dataSource: DataSource;
  runs: SyncRunRepository;
  snapshot: SnapshotRepository;
  mirror: MirrorWriteRepository;
  outbox: OutboxRepository;
  logger: Logger;
  settings: SyncSettings;
  /**
   * Builds the account's Reporting client; `onRequest` counts requests for the run record, `dispatcher` (the
   * process's pool, or `baseDispatcher`) must be the client's dispatcher.
   */
  createClient: (account: IntegratedAccountEntity, onRequest: (event: KnowBe4RequestEvent) => void, dispatcher: Dispatcher) => ReportingClient;
  /** The connection pool page requests go through (default: the knowbe4 lib's shared one). */
  baseDispatcher?: Dispatcher;
  /** Called after each commit that enqueued events (wakes the relay). */
  onEventsCommitted?: () => void;
  onPage?: (phase: SeenPhase) => void;
  onEvents?: (types: readonly string[]) => void;
  onRequest?: (event: KnowBe4RequestEvent) => void;
  /** Called when a run's 401 marked its account `auth_failed` (once per rejection, not per run). */
  onCredentialsRejected?: () => void;
  /** Called for every record a run skipped (dirty entries included). */
  onRecordSkipped?: (entity: SkippedEntity, reason: SyncRecordSkipReason | 'no_id' | 'unknown_user') => void;
  /** The account's SCIM client, to confirm a ghost row (created through SCIM, never listed) is gone; absent: not checked. */
  createScimClient?: (account: IntegratedAccountEntity) => ScimClient;
}

export type SyncOutcome = 'completed' | 'failed' | 'waiting_for_budget' | 'interrupted';

type Phase = SeenPhase | 'finalize';
const PHASES: readonly Phase[] = ['groups', 'users', 'enrollments', 'finalize'];

interface Checkpoint extends Record<string, unknown> {
  baseline: boolean;
  phase: Phase;
  /** Last page of `phase` that was committed (0: none yet); its position in the walk in cursor mode too. */
  page: number;
  /** Largest remote id on that page; a resumed page-number walk checks that nothing slid past it. */
  last_id: string | null;
  /** How `phase` is being walked; absent in checkpoints from before cursors (page numbers). */
  pagination?: ListPagination;
  /** Cursor mode: the cursor of the page after `page` (`''`: that page was the last). */
  cursor?: string | null;
}

/** Restarts of one list from its beginning because KnowBe4 refused a cursor, before the run fails instead. */
const MAX_CURSOR_RESTARTS = 2;

class SyncInterrupted extends Error {}

interface FetchedRecord {
  raw: Record<string, unknown>;
  hash: string;
}

interface FetchedEnrollment extends FetchedRecord {
  userId: string | null;
}

interface CollectedPage {
  page: FetchedPage;
  fetched: Map<string, FetchedRecord>;
  /** The page's fingerprint as stored for comparison; undefined when the page can never match. */
  fingerprint: string | undefined;
}

/** One record's mirror write with what follows from it, applied only once the mirror took the record. */
interface RecordWrite<W> {
  write: W;
  events: OutboxMessage[];
  counts: Array<keyof SyncRunCounts>;
  added: MembershipPair[];
  removed: MembershipPair[];
}

const DEFAULT_MAX_RECORD_CHARS = 65_536;

/** Consecutive already-fetched pages one fast-path statement may settle. */
const PAGES_PER_STATEMENT = 4;

/** The counter each list phase's seen records add to. */
const SEEN_COUNT: Record<SeenPhase, keyof SyncRunCounts | null> = { groups: 'groups_seen', users: 'users_seen', enrollments: null };

const USER_EVENT_COUNT: Record<string, keyof SyncRunCounts> = {
  [DIRECTORY_EVENT_TYPES.userCreated]: 'users_created',
  [DIRECTORY_EVENT_TYPES.userUpdated]: 'users_updated',
  [DIRECTORY_EVENT_TYPES.userArchived]: 'users_archived',
  [DIRECTORY_EVENT_TYPES.userReactivated]: 'users_reactivated',
  [DIRECTORY_EVENT_TYPES.userRiskChanged]: 'users_risk_changed',
};

/**
 * One sync run of one account: groups, users (every status), enrollments, then — only when every list was
 * read to the end — deletions. Each page is diffed against the mirror and committed in one transaction with
 * its events (outbox), the ids it saw and the run's checkpoint, so a crash loses at most the page in flight and
 * a re-run re-creates the same event ids.
 */
export class AccountSync {
  private readonly ctx: RunContext;
  private readonly client: ReportingClient;
  private readonly log: Logger;
  private counts: SyncRunCounts;
  private pages: number;
  private requests: number;
  private checkpoint: Checkpoint;
  private groupNames = new Map<string, string>();
  private groupRecords = new Map<string, Record<string, unknown>>();
  /** Digest of every group's id and name: user records depend on them, so it salts user page fingerprints. */
  private groupsDigest = '';
  /** Pages of the current list phase as their last whole commit stored them (page → fingerprint, size, max id). */
  private storedPages = new Map<number, StoredPageFingerprint>();

  constructor(
    private readonly deps: SyncDependencies,
    private readonly account: IntegratedAccountEntity,
    private readonly run: SyncRunEntity,
    private readonly signal: AbortSignal,
  ) {
    this.ctx = { accountId: account.id, runId: run.id };
    this.log = deps.logger.child({ integrated_account_id: account.id, sync_run_id: run.id });
    this.counts = { ...emptySyncRunCounts(), ...(run.counts as Partial<SyncRunCounts>) };
    this.pages = run.pages;
    this.requests = run.requests;
    this.checkpoint = (run.checkpoint as Checkpoint | null) ?? {
      baseline: account.lastSyncCompletedAt === null,
      phase: 'groups',
      page: 0,
      last_id: null,
    };
    this.client = deps.createClient(
      account,
      (event) => {
        this.requests += 1;
        deps.onRequest?.(event);
      },
      deps.baseDispatcher ?? sharedDispatcher(),
    );
  }

  private get emitsDirectoryEvents(): boolean {
    return !(this.checkpoint.baseline && this.deps.settings.baselineEvents === 'summary');
  }

  async execute(): Promise<SyncOutcome> {
    const resumed = this.run.checkpoint !== null;
    this.log.info({ resumed, checkpoint: this.checkpoint, trigger: this.run.trigger }, 'sync run started');
    try {
      if (!resumed) {
        await this.commit([syncRunEvent(this.ctx, 'started', this.baseData())]);
      }
      for (let i = PHASES.indexOf(this.checkpoint.phase); i < PHASES.length; i++) {
        const phase = PHASES[i];
        if (phase === 'finalize') await this.finalize();
        else if (phase !== 'enrollments' || this.deps.settings.syncEnrollments) await this.runListPhase(phase);
        const next = PHASES[i + 1];
        if (next) {
          this.checkpoint = { baseline: this.checkpoint.baseline, phase: next, page: 0, last_id: null };
          await this.commit([]);
        }
      }
      this.log.info({ counts: this.counts, pages: this.pages, requests: this.requests }, 'sync run completed');
      return 'completed';
    } catch (error) {
      return this.settle(error);
    }
  }

  private async settle(error: unknown): Promise<SyncOutcome> {
    if (error instanceof SyncInterrupted || this.signal.aborted) {
      this.log.info({ checkpoint: this.checkpoint }, 'sync run interrupted; another poller or a restart resumes it');
      return 'interrupted';
    }
    if (error instanceof SyncRunLeaseLostError) {
      this.log.warn('sync run lease lost; stopping');
      return 'interrupted';
    }
    if (error instanceof KnowBe4BudgetExhaustedError) {
      await this.deps.dataSource.transaction(async (manager) => {
        await this.deps.runs.assertOwner(manager, this.run.id, this.deps.settings.owner, this.deps.settings.leaseSeconds);
        await this.deps.runs.waitForBudget(manager, this.run.id, error.resumeAt, this.progress());
      });
      this.log.warn({ resume_at: error.resumeAt.toISOString(), checkpoint: this.checkpoint }, 'daily KnowBe4 budget spent; run parked');
      return 'waiting_for_budget';
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    // 401: the key was revoked, or never belonged to this region; retrying on schedule only spends budget
    const credentialsRejected = failure instanceof KnowBe4AuthError && failure.status === 401;
    if (!credentialsRejected) this.log.error({ err: failure, checkpoint: this.checkpoint }, 'sync run failed; nothing deleted');
    let markedAuthFailed = false;
    try {
      await this.deps.dataSource.transaction(async (manager) => {
        await this.deps.runs.assertOwner(manager, this.run.id, this.deps.settings.owner, this.deps.settings.leaseSeconds);
        await this.deps.outbox.enqueue(manager, [
          syncRunEvent(this.ctx, 'failed', {
            ...this.baseData(),
            failed_at: new Date().toISOString(),
            counts: this.finalCounts(),
            complete: false,
            error: {
              code: failure instanceof KnowBe4Error ? failure.insight : 'sync_error',
              message: safeErrorMessage(failure),
              retryable: failure instanceof KnowBe4Error ? failure.transient : false,
              ...(failure instanceof KnowBe4Error && failure.status !== undefined ? { status: failure.status } : {}),
            },
          }),
        ]);
        // the run record and the event are read by API clients: no value a database error quoted
        await this.deps.runs.fail(manager, this.run.id, safeErrorMessage(failure), this.progress());
        if (credentialsRejected) markedAuthFailed = await this.deps.runs.markCredentialsRejected(manager, this.account.id, this.account.credentialsCiphertext);
      });
      this.deps.onEventsCommitted?.();
    } catch (recordError) {
      if (recordError instanceof SyncRunLeaseLostError) return 'interrupted';
      throw recordError;
    }
    if (markedAuthFailed) {
      // logged once per rejection: the account is not scheduled again until the gateway re-verifies it
      this.log.error(
        { err: failure, status: 401, region: this.account.region },
        'KnowBe4 rejected the Reporting API key (401: revoked, or a key of another region); account marked auth_failed, no syncs until its credentials are re-verified',
      );
      this.deps.onCredentialsRejected?.();
    } else if (credentialsRejected) {
      this.log.info({ status: 401 }, 'sync run failed: KnowBe4 rejected the Reporting API key (account already auth_failed, or its credentials changed meanwhile)');
    }
    return 'failed';
  }

  // ---- list phases

  private async runListPhase(phase: SeenPhase): Promise<void> {
    if (phase !== 'groups' && this.groupNames.size === 0) await this.loadGroups();
    const setting = this.deps.settings.pagination ?? 'auto';
    const resumed = this.checkpoint.page > 0;
    // a checkpoint written before cursors existed was walking page numbers
    let pagination: PaginationSetting = resumed ? (this.checkpoint.pagination ?? 'page') : setting;
    // cursor walk: the checkpoint holds the next page's cursor, so a resumed walk reads on from there
    let startCursor = resumed && pagination === 'cursor' ? (this.checkpoint.cursor ?? '') : undefined;
    // page numbers: the last committed page is read again, to see whether records slid past the checkpoint
    let startPage = !resumed ? 1 : pagination === 'page' ? this.checkpoint.page : this.checkpoint.page + 1;
    let checkOverlap = resumed && pagination === 'page' && this.checkpoint.last_id !== null;
    let cursorRestarts = 0;
    // the walk's last page was committed, the phase change was not
    let done = startCursor === '';
    while (!done) {
      let restarted = false;
      const path = phase === 'enrollments' ? '/training/enrollments' : `/${phase}`;
      this.storedPages = phase === 'groups' ? new Map<number, StoredPageFingerprint>() : await this.deps.runs.storedPageFingerprints(this.account.id, phase);
      const pages = fetchPages(this.client, path, {}, {
        startPage,
        pagination,
        startCursor,
        perPage: this.deps.settings.perPage,
        concurrency: this.deps.settings.pageConcurrency,
        signal: this.signal,
        maxBatch: PAGES_PER_STATEMENT,
        knownLength: (page, fingerprint) => this.storedMatch(phase, page, fingerprint)?.records,
        onPageModeFallback: () => this.log.info({ phase }, 'KnowBe4 answered cursor=true with a bare array (an API without cursors); walking page numbers'),
      });
      // bounded pipeline: page N+1 is fingerprinted while page N's statement runs; commits stay in page order
      let inFlight: Promise<void> | undefined;
      try {
        for await (const batch of pages) {
          if (this.signal.aborted) throw new SyncInterrupted();
          if (checkOverlap) {
            checkOverlap = false;
            const first = firstId(batch[0].records, phase);
            // records slid to earlier pages since the checkpoint: reading on could skip some, so start the list over
            if (first !== null && this.checkpoint.last_id !== null && BigInt(first) > BigInt(this.checkpoint.last_id)) {
              this.log.info({ phase, page: batch[0].page }, 'list shifted since the checkpoint; restarting the phase');
              restarted = true;
              break;
            }
          }
          const commitBatch = this.batchCommitter(phase, batch);
          await inFlight;
          inFlight = commitBatch();
          // rejections are awaited below or on the next batch; this only keeps Node from reporting them early
          inFlight.catch(() => undefined);
        }
      } catch (error) {
        // an expired (or otherwise refused) cursor: the list is read again from its start, the diff makes that safe
        if (!(error instanceof CursorRejectedError) || cursorRestarts >= MAX_CURSOR_RESTARTS) throw error;
        cursorRestarts += 1;
        this.log.warn({ phase, page: error.page, status: error.rejection.status }, 'KnowBe4 refused a cursor; reading the list again from its start');
        restarted = true;
      } finally {
        // a fetch failure still lets the page already in flight commit (or fail) first
        await inFlight;
      }
      done = !restarted;
      pagination = setting;
      startPage = 1;
      startCursor = undefined;
    }
    if (phase === 'groups') await this.loadGroups();
  }

  /**
   * Reads the ids of a batch of consecutive pages at once (cheap, overlapping the previous batch's commit) and
   * returns what commits them, to run after the batch before. Pages whose raw bytes and mirror rows are as their
   * last commit left them cost one statement for the whole batch; otherwise each page's records are fingerprinted
   * and only records whose fingerprint differs are diffed.
   */
  private batchCommitter(phase: SeenPhase, batch: readonly FetchedPage[]): () => Promise<void> {
    if (phase === 'groups') {
      return async () => {
        for (const page of batch) {
          await this.groupsPage(page);
          this.deps.onPage?.(phase);
        }
      };
    }
    // byte-identical to their last whole commit: settled from the stored ids, never parsed unless that fails
    const stored = batch.map((page) => this.storedMatch(phase, page.page, page.fingerprint));
    if (stored.every((match) => match !== undefined)) {
      return async () => {
        if (await this.commitPagesIfFingerprintsMatch(phase, batch, stored)) {
          for (let i = 0; i < batch.length; i++) this.deps.onPage?.(phase);
          return;
        }
        await this.commitPagesRecordByRecord(phase, batch.map((page) => this.collectPage(phase, page)));
      };
    }
    const pages = batch.map((page) => this.collectPage(phase, page));
    return () => this.commitPagesRecordByRecord(phase, pages);
  }

  /** The page's fingerprint as stored for comparison: user records also depend on the group names (a rename). */
  private comparableFingerprint(phase: SeenPhase, fingerprint: string): string {
    return phase === 'users' ? pageFingerprint(`${fingerprint}:${this.groupsDigest}`) : fingerprint;
  }

  /** The stored state of a page whose raw bytes are as its last whole commit saw them, else undefined. */
  private storedMatch(phase: SeenPhase, page: number, fingerprint: string): StoredPageFingerprint | undefined {
    const stored = this.storedPages.get(page);
    return stored !== undefined && stored.fingerprint === this.comparableFingerprint(phase, fingerprint) ? stored : undefined;
  }

  /** Cheap pass over a parsed page: the ids, and the fingerprint to store (none for a page with dirty entries). */
  private collectPage(phase: SeenPhase, page: FetchedPage): CollectedPage {
    const fetched = phase === 'users' ? this.collectUsers(page) : this.collectEnrollments(page);
    // a page with dirty entries was never recorded as a whole (they are not stored), so it cannot match
    return { page, fetched, fingerprint: fetched.size === page.records.length ? this.comparableFingerprint(phase, page.fingerprint) : undefined };
  }

  /** Record fingerprints per page; only the records whose fingerprint differs from the mirror get the full diff. */
  private async commitPagesRecordByRecord(phase: SeenPhase, pages: readonly CollectedPage[]): Promise<void> {
    for (const { page, fetched, fingerprint } of pages) {
      for (const entry of fetched.values()) {
        entry.hash = phase === 'users' ? fetchedRecordHash(entry.raw, this.groupNamesOf(entry.raw.groups)) : fetchedRecordHash(entry.raw);
      }
      if (phase === 'users') await this.usersPage(page, fetched, fingerprint);
      else await this.enrollmentsPage(page, fetched as Map<string, FetchedEnrollment>, fingerprint);
      this.deps.onPage?.(phase);
    }
  }

  private async loadGroups(): Promise<void> {
    this.groupNames = await this.deps.snapshot.groupNames(this.account.id);
    const groups = await this.deps.snapshot.groupsByRemoteId(this.account.id, [...this.groupNames.keys()]);
    this.groupRecords = new Map([...groups].map(([id, group]) => [id, group.record]));
    this.groupsDigest = pageFingerprint([...this.groupNames].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => `${id}:${name}`).join('\u0001'));
  }

  private async groupsPage(page: FetchedPage): Promise<void> {
    const fetched = new Map<string, { raw: Record<string, unknown>; hash: string }>();
    const skipEvents: OutboxMessage[] = [];
    const unstorable = new Set<string>();
    for (const raw of page.records) {
      const result = tryNormalizeKnowBe4Group(raw);
      if (!result.ok) {
        const id = remoteIdOf(raw);
        if (id === null) this.countDirty('group', 'no_id');
        else skipEvents.push(this.skipRecord('group', page, id, 'invalid'));
        continue;
      }
      const id = String(result.record.id);
      fetched.set(id, { raw: raw as Record<string, unknown>, hash: fetchedRecordHash(raw) });
      const reason = this.unstorable(raw);
      if (reason) {
        unstorable.add(id);
        skipEvents.push(this.skipRecord('group', page, id, reason));
      }
    }
    const ids = [...fetched.keys()];
    this.counts.groups_seen += ids.length;
    const existing = await this.deps.snapshot.groupsByRemoteId(this.account.id, ids);
    const now = new Date().toISOString();
    const entries: RecordWrite<SyncedGroupWrite>[] = [];
    for (const [id, { raw, hash }] of fetched) {
      const before = existing.get(id);
      if (before?.contentHash === hash || unstorable.has(id)) continue;
      const entry: RecordWrite<SyncedGroupWrite> = { write: undefined as unknown as SyncedGroupWrite, events: [], counts: [], added: [], removed: [] };
      const { remote_data: remoteData, ...record } = toUnifiedGroup(raw as never) as unknown as Record<string, unknown>;
      if (!before) {
        record.created_at = now;
        record.updated_at = now;
        entry.counts.push('groups_created');
        if (this.emitsDirectoryEvents) entry.events.push(directoryEvent(this.ctx, 'group', id, DIRECTORY_EVENT_TYPES.groupCreated, [hash], { group: record }));
      } else {
        record.created_at = before.record.created_at ?? before.createdAt.toISOString();
        const changes = diffRecords(before.record, record, { ignore: [...DEFAULT_GROUP_DIFF_IGNORE, 'created_at'] });
        record.updated_at = changes.length > 0 ? now : (before.record.updated_at ?? now);
        if (changes.length > 0) {
          entry.counts.push('groups_updated');
          entry.events.push(
            directoryEvent(this.ctx, 'group', id, DIRECTORY_EVENT_TYPES.groupUpdated, [before.contentHash, hash], {
              group: record,
              changes: changesJson(changes),
            }),
          );
        }
      }
      entry.write = {
        seq: before?.seq ?? null,
        remoteId: id,
        name: typeof record.name === 'string' ? record.name : '',
        record,
        remoteData: remoteData as Record<string, unknown>,
        contentHash: hash,
        createdAt: String(record.created_at),
        updatedAt: String(record.updated_at),
      };
      entries.push(entry);
    }
    await this.commit(skipEvents, async (manager) => {
      const rejected = await this.deps.mirror.upsertGroupsOrReject(manager, this.account.id, this.run.id, entries.map((e) => e.write));
      const { events } = this.settleWrites('group', page, entries, rejected);
      await this.deps.runs.recordSeenPage(manager, this.run.id, 'groups', page.page, ids);
      return events;
    }, { page, ids });
  }

  /** Cheap pass: the id of each record as fetched (records without one are skipped and counted). */
  private collectUsers(page: FetchedPage): Map<string, FetchedRecord> {
    const fetched = new Map<string, FetchedRecord>();
    for (const raw of page.records) {
      const id = remoteIdOf(raw);
      if (id === null) {
        this.countDirty('user', 'no_id');
        continue;
      }
      fetched.set(id, { raw: raw as Record<string, unknown>, hash: '' });
    }
    return fetched;
  }

  private async usersPage(page: FetchedPage, fetched: Map<string, FetchedRecord>, fingerprint: string | undefined): Promise<void> {
    const changedIds = await this.commitPageIfUnchanged('users', page, fetched, fingerprint);
    if (changedIds === null) return;

    const skipEvents: OutboxMessage[] = [];
    const valid = new Map<string, NormalizedKnowBe4User>();
    for (const id of changedIds) {
      const raw = fetched.get(id)?.raw;
      const result = tryNormalizeKnowBe4User(raw);
      if (!result.ok) {
        skipEvents.push(this.skipRecord('user', page, id, 'invalid'));
        fetched.delete(id);
        continue;
      }
      // seen (never called deleted), but not stored: the mirror keeps what it had
      const unstorable = this.unstorable(raw);
      if (unstorable) skipEvents.push(this.skipRecord('user', page, id, unstorable));
      else valid.set(id, result.record);
    }
    const ids = [...fetched.keys()];
    this.counts.users_seen += ids.length;
    const existing = await this.deps.snapshot.usersByRemoteId(this.account.id, [...valid.keys()]);
    const newcomers = [...valid.keys()].filter((id) => !existing.has(id));
    const provisioned = await this.provisionedRows(newcomers.map((id) => valid.get(id)!));
    const oldGroups = await this.deps.snapshot.groupIdsOfUsers(this.account.id, [...existing.keys()]);

    const now = new Date().toISOString();
    const emit = this.emitsDirectoryEvents;
    const entries: RecordWrite<SyncedUserWrite>[] = [];
    for (const [id, user] of valid) {
      const { raw, hash } = fetched.get(id)!;
      const { remote_data: _remote, ...record } = toUnifiedUser(raw as never, { groupsById: this.groupNames }) as unknown as Record<string, unknown>;
      const before: SnapshotUser | undefined = existing.get(id) ?? provisioned.get(id);
      const entry: RecordWrite<SyncedUserWrite> = { write: undefined as unknown as SyncedUserWrite, events: [], counts: [], added: [], removed: [] };
      let updatedAt: string | null;
      if (!before || before.remoteId === null) {
        updatedAt = now;
        record.updated_at = now;
        entry.counts.push('users_created');
        if (emit) entry.events.push(directoryEvent(this.ctx, 'user', id, DIRECTORY_EVENT_TYPES.userCreated, [hash], { user: record }));
      } else {
        const change = classifyUserChange(before.record, record, this.deps.settings.userEventIgnore);
        updatedAt = change.contentChanged ? now : null;
        record.updated_at = updatedAt ?? before.record.updated_at ?? now;
        for (const { type, changes } of change.events) {
          entry.counts.push(USER_EVENT_COUNT[type]);
          entry.events.push(
            directoryEvent(this.ctx, 'user', id, type, [before.contentHash, hash], { user: record, changes: changesJson(changes ?? []) }),
          );
        }
      }
      const delta = membershipDelta(oldGroups.get(id) ?? [], user.groups.map(String));
      for (const groupId of delta.added) {
        entry.added.push({ groupRemoteId: groupId, userRemoteId: id });
        entry.counts.push('memberships_added');
        if (emit) entry.events.push(membershipEvent(this.ctx, 'added', groupId, id, hash, this.groupRecordOf(groupId), record));
      }
      for (const groupId of delta.removed) {
        entry.removed.push({ groupRemoteId: groupId, userRemoteId: id });
        entry.counts.push('memberships_removed');
        if (emit) entry.events.push(membershipEvent(this.ctx, 'removed', groupId, id, hash, this.groupRecordOf(groupId), record));
      }
      entry.write = {
        seq: before?.seq ?? null,
        remoteId: id,
        provisioningGuid: user.provisioning_guid,
        emailLower: user.email?.toLowerCase() ?? null,
        employeeNumber: user.employee_number,
        status: record.status as 'active' | 'inactive',
        firstName: user.first_name,
        lastName: user.last_name,
        department: user.department,
        record,
        remoteData: raw,
        contentHash: hash,
        createdAt: before ? before.createdAt.toISOString() : (user.joined_on ?? now),
        updatedAt,
      };
      entries.push(entry);
    }
    await this.commit(skipEvents, async (manager) => {
      const rejected = await this.deps.mirror.upsertUsersOrReject(manager, this.account.id, this.run.id, entries.map((e) => e.write));
      const { kept, events } = this.settleWrites('user', page, entries, rejected);
      await this.deps.mirror.removeMemberships(manager, this.account.id, kept.flatMap((e) => e.removed));
      await this.deps.mirror.addMemberships(manager, this.account.id, this.run.id, kept.flatMap((e) => e.added));
      await this.deps.runs.recordSeenPage(manager, this.run.id, 'users', page.page, ids);
      // a page with records that could not be stored never matches; it is diffed record by record every run
      if (fingerprint !== undefined && ids.length === page.records.length && skipEvents.length === 0 && rejected.length === 0) {
        await this.deps.runs.recordPageFingerprint(manager, this.account.id, { phase: 'users', page: page.page, remoteIds: ids, fingerprint });
      }
      return events;
    }, { page, ids });
  }

  /**
   * After a page's mirror write: the records the database refused are reported (and their events, counts and
   * memberships dropped); the counts of the others are applied. Returns the rest and the events to enqueue.
   */
  private settleWrites<W extends { remoteId: string }>(
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

  /** Counts and reports a record this run could not store; the event names it, never its values. */
  private skipRecord(entity: SkippedEntity, page: FetchedPage, remoteId: string, reason: SyncRecordSkipReason, dbCode?: string): OutboxMessage {
    this.counts.records_skipped += 1;
    this.deps.onRecordSkipped?.(entity, reason);
    this.log.warn({ entity, remote_id: remoteId, page: page.page, reason, db_code: dbCode }, 'record skipped: it cannot be stored; the run goes on');
    return recordSkippedEvent(this.ctx, { entity, remoteId, page: page.page, reason, dbCode });
  }

  /** Dirty entries (no id, an enrollment of an unknown user): counted, not reported one by one. */
  private countDirty(entity: SkippedEntity, reason: 'no_id' | 'unknown_user'): void {
    this.counts.records_skipped += 1;
    this.deps.onRecordSkipped?.(entity, reason);
  }

  private unstorable(raw: unknown): 'too_large' | 'unstorable_characters' | null {
    return unstorableReason(raw, this.deps.settings.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS);
  }

  /**
   * One round trip for a page whose every record matches the mirror: progress, lease and seen ids are saved and
   * `null` is returned. Otherwise nothing is written and the ids that differ come back for the full diff.
   */
  /** One statement for consecutive pages whose bytes and mirror rows are as their last commit left them. */
  private async commitPagesIfFingerprintsMatch(
    phase: SeenPhase,
    pages: readonly FetchedPage[],
    stored: readonly StoredPageFingerprint[],
  ): Promise<boolean> {
    if (this.signal.aborted) throw new SyncInterrupted();
    const seen = stored.reduce((n, page) => n + page.records, 0);
    const last = pages[pages.length - 1];
    const seenField = SEEN_COUNT[phase];
    const counts = { ...this.finalCounts(), ...(seenField ? { [seenField]: this.counts[seenField] + seen } : {}) };
    const checkpoint = this.checkpointAfter(last, stored[stored.length - 1].maxId);
    const committed = await this.deps.runs.commitPagesIfFingerprintsMatch(
      { id: this.run.id, accountId: this.account.id, owner: this.deps.settings.owner, leaseSeconds: this.deps.settings.leaseSeconds },
      { phase, pages: stored.map((p, i) => ({ page: pages[i].page, fingerprint: p.fingerprint })) },
      { pages: this.pages + pages.length, requests: this.requests, counts, checkpoint },
    );
    if (!committed) return false;
    this.pages += pages.length;
    this.checkpoint = checkpoint;
    if (seenField) this.counts[seenField] += seen;
    return true;
  }

  private progressAfterPage(phase: SeenPhase, page: FetchedPage, ids: readonly string[]): { counts: SyncRunCounts; checkpoint: Checkpoint } {
    const seenField = SEEN_COUNT[phase];
    const counts = { ...this.finalCounts(), ...(seenField ? { [seenField]: this.counts[seenField] + ids.length } : {}) };
    return { counts, checkpoint: this.checkpointAfter(page, maxId(ids)) };
  }

  /** Where the walk stands once `page` is committed: its position, largest id and (cursor mode) the next cursor. */
  private checkpointAfter(page: FetchedPage, lastId: string | null): Checkpoint {
    return {
      ...this.checkpoint,
      page: page.page,
      last_id: lastId ?? this.checkpoint.last_id,
      pagination: page.pagination,
      cursor: page.pagination === 'cursor' ? (page.nextCursor ?? '') : null,
    };
  }

  private pageCommitted(phase: SeenPhase, checkpoint: Checkpoint, ids: readonly string[]): void {
    const seenField = SEEN_COUNT[phase];
    this.pages += 1;
    this.checkpoint = checkpoint;
    if (seenField) this.counts[seenField] += ids.length;
  }

  private async commitPageIfUnchanged(
    phase: SeenPhase,
    page: FetchedPage,
    fetched: ReadonlyMap<string, { hash: string }>,
    fingerprint: string | undefined,
  ): Promise<string[] | null> {
    if (this.signal.aborted) throw new SyncInterrupted();
    const ids = [...fetched.keys()];
    const { counts, checkpoint } = this.progressAfterPage(phase, page, ids);
    const { committed, changedIds } = await this.deps.runs.commitPageIfUnchanged(
      { id: this.run.id, accountId: this.account.id, owner: this.deps.settings.owner, leaseSeconds: this.deps.settings.leaseSeconds },
      {
        phase,
        page: page.page,
        remoteIds: ids,
        hashes: ids.map((id) => fetched.get(id)!.hash),
        fingerprint: fetched.size === page.records.length ? fingerprint : undefined,
      },
      { pages: this.pages + 1, requests: this.requests, counts, checkpoint },
    );
    if (!committed) return changedIds;
    this.pageCommitted(phase, checkpoint, ids);
    return null;
  }

  /** What of a user's groups feeds its unified record (their names), folded into its fingerprint. */
  private groupNamesOf(groups: unknown): string {
    if (!Array.isArray(groups) || groups.length === 0) return '';
    let names = '';
    for (const entry of groups as unknown[]) {
      const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : entry;
      names += `${this.groupNames.get(String(id)) ?? ''}\u0001`;
    }
    return names;
  }

  /** Mirror rows the provisioner created over SCIM before any sync saw them: joined by provisioning GUID, else email. */
  private async provisionedRows(users: NormalizedKnowBe4User[]): Promise<Map<string, SnapshotUser>> {
    const matches = new Map<string, SnapshotUser>();
    if (users.length === 0) return matches;
    const guids = users.map((u) => u.provisioning_guid).filter((g): g is string => g !== null);
    const emails = users.map((u) => u.email?.toLowerCase()).filter((e): e is string => !!e);
    const rows = await this.deps.snapshot.unmatchedUsersByIdentity(this.account.id, guids, emails);
    if (rows.length === 0) return matches;
    const taken = new Set<string>();
    const claim = (user: NormalizedKnowBe4User, row: SnapshotUser | undefined): boolean => {
      if (!row || taken.has(row.seq)) return false;
      taken.add(row.seq);
      matches.set(String(user.id), row);
      return true;
    };
    for (const user of users) {
      if (user.provisioning_guid !== null && claim(user, rows.find((r) => r.provisioningGuid === user.provisioning_guid))) continue;
      const email = user.email?.toLowerCase();
      if (email) claim(user, rows.find((r) => r.emailLower === email && !taken.has(r.seq)));
    }
    return matches;
  }

  private groupRecordOf(groupId: string): Record<string, unknown> {
    return this.groupRecords.get(groupId) ?? { id: groupId, name: this.groupNames.get(groupId) ?? '', status: 'active' };
  }

  private collectEnrollments(page: FetchedPage): Map<string, FetchedEnrollment> {
    const fetched = new Map<string, FetchedEnrollment>();
    for (const raw of page.records) {
      const id = enrollmentIdOf(raw);
      if (id === null) {
        this.countDirty('enrollment', 'no_id');
        continue;
      }
      const record = raw as Record<string, unknown>;
      const user = record.user as { id?: unknown } | null | undefined;
      const userId = user && (typeof user.id === 'number' || typeof user.id === 'string') ? String(user.id) : null;
      fetched.set(id, { raw: record, userId, hash: '' });
    }
    return fetched;
  }

  private async enrollmentsPage(page: FetchedPage, fetched: Map<string, FetchedEnrollment>, fingerprint: string | undefined): Promise<void> {
    const changedIds = await this.commitPageIfUnchanged('enrollments', page, fetched, fingerprint);
    if (changedIds === null) return;

    const changed = new Set(changedIds);
    const userIds = [...new Set(changedIds.map((id) => fetched.get(id)!.userId).filter((u): u is string => u !== null))];
    const knownUsers = await this.deps.snapshot.existingUserIds(this.account.id, userIds);
    const before = await this.deps.snapshot.enrollmentsByRemoteId(this.account.id, changedIds);
    const seen: string[] = [];
    for (const [id, entry] of fetched) {
      // enrollments of users that no longer exist are dirty data: skipped and counted, never stored
      if (!changed.has(id) || (entry.userId !== null && knownUsers.has(entry.userId))) seen.push(id);
    }
    const now = new Date().toISOString();
    const skipEvents: OutboxMessage[] = [];
    const entries: RecordWrite<SyncedEnrollmentWrite>[] = [];
    for (const id of changedIds) {
      const { raw, userId, hash } = fetched.get(id)!;
      if (userId === null || !knownUsers.has(userId)) {
        this.countDirty('enrollment', 'unknown_user');
        continue;
      }
      const unstorable = this.unstorable(raw);
      if (unstorable) {
        skipEvents.push(this.skipRecord('enrollment', page, id, unstorable));
        continue;
      }
      const previous = before.get(id);
      const changes = previous ? diffRecords(previous.record, raw) : [];
      if (previous && changes.length === 0) continue;
      const events: OutboxMessage[] = [];
      if (this.emitsDirectoryEvents) {
        events.push(
          directoryEvent(this.ctx, 'enrollment', id, DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged, [previous?.contentHash ?? '', hash], {
            user_id: userId,
            enrollment: raw,
            change: previous ? 'updated' : 'created',
            ...(previous ? { changes: changesJson(changes) } : {}),
          }),
        );
      }
      entries.push({
        write: { remoteId: id, userRemoteId: userId, record: raw, contentHash: hash, updatedAt: now },
        events,
        counts: ['enrollments_changed'],
        added: [],
        removed: [],
      });
    }
    await this.commit(skipEvents, async (manager) => {
      const rejected = await this.deps.mirror.upsertEnrollmentsOrReject(manager, this.account.id, this.run.id, entries.map((e) => e.write));
      const { events } = this.settleWrites('enrollment', page, entries, rejected);
      await this.deps.runs.recordSeenPage(manager, this.run.id, 'enrollments', page.page, seen);
      // dirty entries (no id, unknown user) are never stored: such a page is diffed record by record every run
      if (fingerprint !== undefined && seen.length === page.records.length && skipEvents.length === 0 && rejected.length === 0) {
        await this.deps.runs.recordPageFingerprint(manager, this.account.id, { phase: 'enrollments', page: page.page, remoteIds: seen, fingerprint });
      }
      return events;
    }, { page, ids: seen });
  }

  // ---- finalize: deletions after a complete run, then the run record

  private async finalize(): Promise<void> {
    if (this.groupNames.size === 0) await this.loadGroups();
    let complete = true;
    if (this.counts.users_seen === 0 && (await this.deps.snapshot.countUsers(this.account.id)) > 0) {
      // an empty user list against a populated mirror is far likelier an upstream glitch than a wiped tenant
      complete = false;
      this.log.warn('KnowBe4 listed no users while the mirror has some; not deleting anything this run');
    }
    if (complete) {
      await this.deleteUnseenUsers();
      await this.deleteGhostUsers();
      await this.deleteUnseenGroups();
      if (this.deps.settings.syncEnrollments) await this.deleteUnseenEnrollments();
    }
    await this.deps.dataSource.transaction(async (manager) => {
      await this.deps.runs.assertOwner(manager, this.run.id, this.deps.settings.owner, this.deps.settings.leaseSeconds);
      await this.deps.outbox.enqueue(manager, [
        syncRunEvent(this.ctx, 'completed', {
          ...this.baseData(),
          completed_at: new Date().toISOString(),
          complete,
          baseline: this.checkpoint.baseline,
          counts: this.finalCounts(),
        }),
      ]);
      await this.deps.runs.complete(manager, { id: this.run.id, accountId: this.account.id }, this.progress());
    });
    this.deps.onEventsCommitted?.();
  }

  private async deleteUnseenUsers(): Promise<void> {
    let confirmationsLeft = this.deps.settings.deleteConfirmLimit ?? 100;
    let settledPage = -1;
    for (;;) {
      const unseen = await this.deps.snapshot.unseenUsers(this.account.id, this.run.id, 500);
      if (unseen.length === 0) return;
      const { gone, notGone } = await this.confirmUsersGone(unseen, confirmationsLeft);
      confirmationsLeft = Math.max(0, confirmationsLeft - unseen.length);
      if (notGone.length > 0) {
        // settled for this run: still listed by id, or waiting for the next run's confirmations
        await this.deps.dataSource.transaction((manager) => this.deps.runs.recordSeenPage(manager, this.run.id, 'users', settledPage--, notGone));
      }
      if (gone.length === 0) continue;
      const ids = gone.map((user) => user.remoteId!);
      const memberships = await this.deps.snapshot.groupIdsOfUsers(this.account.id, ids);
      // their enrollments go with them (KnowBe4 keeps listing them, pointing at a user that no longer exists)
      const enrollments = this.deps.settings.syncEnrollments ? await this.deps.snapshot.enrollmentsOfUsers(this.account.id, ids) : [];
      const events: OutboxMessage[] = enrollments.map((enrollment) => this.enrollmentRemoved(enrollment));
      this.counts.enrollments_changed += enrollments.length;
      for (const user of gone) {
        const id = user.remoteId!;
        for (const groupId of memberships.get(id) ?? []) {
          this.counts.memberships_removed += 1;
          events.push(membershipEvent(this.ctx, 'removed', groupId, id, `deleted:${user.contentHash}`, this.groupRecordOf(groupId), user.record));
        }
        this.counts.users_deleted += 1;
        events.push(directoryEvent(this.ctx, 'user', id, DIRECTORY_EVENT_TYPES.userDeleted, [user.contentHash], { user: user.record }));
      }
      await this.commit(events.filter((event) => this.emitsDirectoryEvents || event.event.type !== DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged), async (manager) => {
        await this.deps.mirror.deleteEnrollments(manager, this.account.id, enrollments.map((e) => e.remoteId));
        await this.deps.mirror.deleteUsers(manager, this.account.id, ids);
      });
    }
  }

  /**
   * Page numbers shift when the console deletes a user while a run walks the list, so a survivor can slide onto a
   * page already read and look deleted. A `deleted` event is only emitted for a user GET /users/{id} answers 404
   * for; at most `limit` confirmations per run (KnowBe4's request budget is small), the rest wait for the next run.
   */
  private async confirmUsersGone(unseen: SnapshotUser[], limit: number): Promise<{ gone: SnapshotUser[]; notGone: string[] }> {
    const gone: SnapshotUser[] = [];
    const notGone: string[] = [];
    for (const [index, user] of unseen.entries()) {
      if (index >= limit) {
        notGone.push(user.remoteId!);
        continue;
      }
      try {
        await this.client.getUser(user.remoteId!, undefined, { signal: this.signal });
        notGone.push(user.remoteId!);
        this.log.info({ remote_id: user.remoteId }, 'user missing from the list is still there (pages shifted mid-walk); not deleted');
      } catch (error) {
        if (!(error instanceof KnowBe4NotFoundError)) throw error;
        gone.push(user);
      }
    }
    return { gone, notGone };
  }

  /**
   * Rows created through SCIM that no run matched to a Reporting user. Once untouched for the grace period (the
   * Reporting API may lag behind SCIM), SCIM is asked by id: a 404 (hard-deleted in the console) removes the row with
   * `user.deleted`; a user SCIM still has is kept. At most `deleteConfirmLimit` questions per run; a SCIM failure
   * only ends this check for the run (the Reporting side of the run is not at fault).
   */
  private async deleteGhostUsers(): Promise<void> {
    if (!this.deps.createScimClient) return;
    const grace = this.deps.settings.ghostGraceSeconds ?? 3600;
    let questionsLeft = this.deps.settings.deleteConfirmLimit ?? 100;
    // from a random candidate to the end, then from the start up to it: every ghost gets asked about in time
    const start = await this.deps.snapshot.ghostScanStart(this.account.id, grace);
    let range: { afterSeq: string; untilSeq?: string } = { afterSeq: start };
    let scim: ScimClient | undefined;
    while (questionsLeft > 0) {
      const candidates = await this.deps.snapshot.ghostCandidates(this.account.id, grace, range, Math.min(questionsLeft, 100));
      if (candidates.length === 0) {
        if (range.untilSeq !== undefined || start === '0') return;
        range = { afterSeq: '0', untilSeq: start };
        continue;
      }
      range = { ...range, afterSeq: candidates[candidates.length - 1].seq };
      questionsLeft -= candidates.length;
      const gone: GhostCandidate[] = [];
      try {
        scim ??= this.deps.createScimClient(this.account);
        for (const ghost of candidates) {
          try {
            await scim.getUser(ghost.scimId, { signal: this.signal });
          } catch (error) {
            if (!(error instanceof KnowBe4NotFoundError)) throw error;
            gone.push(ghost);
          }
        }
      } catch (error) {
        if (this.signal.aborted) throw new SyncInterrupted();
        this.log.warn({ err: error, found_gone: gone.length }, 'SCIM could not confirm users created through it; checking again next run');
        questionsLeft = 0;
      }
      if (gone.length === 0) continue;
      const events = gone.map((ghost) => {
        this.counts.users_deleted += 1;
        return directoryEvent(this.ctx, 'user', ghost.scimId, DIRECTORY_EVENT_TYPES.userDeleted, ['ghost', ghost.contentHash], { user: ghost.record });
      });
      this.log.info({ scim_ids: gone.map((g) => g.scimId) }, 'users created through SCIM are gone from KnowBe4 (SCIM 404); removed from the mirror');
      await this.commit(events, (manager) => this.deps.mirror.deleteGhostUsers(manager, this.account.id, gone.map((g) => g.seq)));
    }
  }

  private async deleteUnseenGroups(): Promise<void> {
    for (;;) {
      const gone = await this.deps.snapshot.unseenGroups(this.account.id, this.run.id, 500);
      if (gone.length === 0) return;
      const events = gone.map((group) => {
        this.counts.groups_deleted += 1;
        return directoryEvent(this.ctx, 'group', group.remoteId, DIRECTORY_EVENT_TYPES.groupDeleted, [group.contentHash], { group: group.record });
      });
      await this.commit(events, (manager) => this.deps.mirror.deleteGroups(manager, this.account.id, gone.map((g) => g.remoteId)));
    }
  }

  /** Enrollments no list page showed any more: consumers hear `enrollment_changed` with `change: 'removed'`. */
  private async deleteUnseenEnrollments(): Promise<void> {
    for (;;) {
      const gone = await this.deps.snapshot.unseenEnrollments(this.account.id, this.run.id, 500);
      if (gone.length === 0) return;
      const events = this.emitsDirectoryEvents ? gone.map((enrollment) => this.enrollmentRemoved(enrollment)) : [];
      this.counts.enrollments_changed += gone.length;
      await this.commit(events, (manager) => this.deps.mirror.deleteEnrollments(manager, this.account.id, gone.map((e) => e.remoteId)));
    }
  }

  private enrollmentRemoved(enrollment: SnapshotEnrollment): OutboxMessage {
    return directoryEvent(this.ctx, 'enrollment', enrollment.remoteId, DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged, ['removed', enrollment.contentHash], {
      user_id: enrollment.userRemoteId,
      enrollment: enrollment.record,
      change: 'removed',
    });
  }

  // ---- one transaction per unit of work

  /** One transaction: the write (which may return events it decided, e.g. after isolating a refused record), the events, the progress. */
  private async commit(
    events: OutboxMessage[],
    write?: (manager: EntityManager) => Promise<void | OutboxMessage[]>,
    page?: { page: FetchedPage; ids: string[] },
  ): Promise<void> {
    if (this.signal.aborted) throw new SyncInterrupted();
    if (page) {
      this.pages += 1;
      this.checkpoint = this.checkpointAfter(page.page, maxId(page.ids));
    }
    let all = events;
    let inserted = 0;
    await this.deps.dataSource.transaction(async (manager) => {
      await this.deps.runs.assertOwner(manager, this.run.id, this.deps.settings.owner, this.deps.settings.leaseSeconds);
      const decided = write ? await write(manager) : undefined;
      if (decided && decided.length > 0) all = [...events, ...decided];
      // events_emitted counts directory events; sync-run topic events (lifecycle, skipped records) are enqueued apart
      const directory = all.filter((e) => e.topic === TOPICS.directoryEvents);
      const directoryInserted = await this.deps.outbox.enqueue(manager, directory);
      this.counts.events_emitted += directoryInserted;
      inserted = directoryInserted + (directory.length === all.length ? 0 : await this.deps.outbox.enqueue(manager, all.filter((e) => e.topic !== TOPICS.directoryEvents)));
      await this.deps.runs.saveProgress(manager, this.run.id, this.progress());
    });
    if (all.length > 0) {
      this.deps.onEvents?.(all.map((e) => e.event.type));
      if (inserted > 0) this.deps.onEventsCommitted?.();
    }
  }

  private progress(): SyncRunProgress {
    return { pages: this.pages, requests: this.requests, counts: this.finalCounts(), checkpoint: this.checkpoint };
  }

  private finalCounts(): SyncRunCounts {
    return { ...this.counts, requests_made: this.requests };
  }

  private baseData(): Record<string, unknown> {
    const trigger = ['schedule', 'manual', 'initial'].includes(this.run.trigger) ? this.run.trigger : 'schedule';
    return { trigger, started_at: this.run.startedAt.toISOString() };
  }
}

function enrollmentIdOf(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as { enrollment_id?: unknown }).enrollment_id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  return null;
}

function firstId(records: readonly unknown[], phase: SeenPhase): string | null {
  for (const raw of records) {
    if (typeof raw !== 'object' || raw === null) continue;
    const id = phase === 'enrollments' ? (raw as { enrollment_id?: unknown }).enrollment_id : (raw as { id?: unknown }).id;
    if (typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id))) return String(id);
  }
  return null;
}

function maxId(ids: readonly string[]): string | null {
  let max: bigint | null = null;
  for (const id of ids) {
    const value = BigInt(id);
    if (max === null || value > max) max = value;
  }
  return max === null ? null : max.toString();
}
