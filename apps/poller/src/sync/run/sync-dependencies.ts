import type { SyncRecordSkipReason } from '@kb4/contracts';
import type { KnowBe4RequestEvent, ReportingClient, ScimClient, WorkSlot } from '@kb4/knowbe4';
import type {
  AuditLogRepository,
  IntegratedAccountEntity,
  IntegratedAccountRepository,
  LicenseRepository,
  MirrorWriteRepository,
  OutboxRepository,
  PageFingerprintRepository,
  SeenPhase,
  SnapshotRepository,
  SyncRunLeaseRepository,
} from '@kb4/persistence';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { DataSource } from 'typeorm';
import type { SkippedEntity } from '../events/directory-events';
import type { GraphDependencies } from '../graph/graph-sync';
import type { PaginationSetting } from '../walk/page-fetcher';
import type { ListCadences } from '../plan/request-plan';

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
  /** How many unseen users a run confirms with GET /users/{id} before deleting them (see deletion/unseen-users.ts). */
  deleteConfirmLimit?: number;
  /** A record whose JSON is longer is skipped as `too_large` (default 65,536 characters). */
  maxRecordChars?: number;
  /** How long a SCIM-created row no sync matched stays before SCIM is asked whether it still exists (default 3600). */
  ghostGraceSeconds?: number;
  /**
   * Cadences of the lists read less often than every run (enrollments, GET /account) and of the account's syncs, for
   * the run's request plan. Absent: enrollments (when `syncEnrollments`) and GET /account are read by every run.
   */
  listCadences?: Omit<ListCadences, 'syncIntervalSeconds'> & { defaultSyncIntervalSeconds: number };
  /** Share of the daily budget the identity graph may spend (for the day's request plan); 0 without the graph. */
  graphDailyShare?: number;
}

export interface SyncDependencies {
  dataSource: DataSource;
  /** The run's lease, progress and end. */
  lease: SyncRunLeaseRepository;
  /** Page fingerprints and the fast paths for unchanged pages. */
  fingerprints: PageFingerprintRepository;
  /** The account's own record (last complete sync, credentials rejected). */
  accounts: Pick<IntegratedAccountRepository, 'markSyncCompleted' | 'markCredentialsRejected'>;
  /** Where a run stores KnowBe4's seat figures (GET /v1/account); absent: not read. */
  licenses?: Pick<LicenseRepository, 'recordSubscription'>;
  snapshot: SnapshotRepository;
  mirror: MirrorWriteRepository;
  outbox: OutboxRepository;
  /** The audit log: what a sync saw change in KnowBe4 is appended with the change (absent: not audited). */
  audit?: AuditLogRepository;
  logger: Logger;
  settings: SyncSettings;
  /** The identity graph (phishing campaigns, security tests, recipients, risk history); absent: not synced. */
  graph?: GraphDependencies;
  /**
   * Builds the account's Reporting client; `onRequest` counts requests for the run record, `dispatcher` (the
   * process's pool, or `baseDispatcher`) must be the client's dispatcher; `workSlot` (the run's slot among the working
   * runs) is given back while a request waits for pace.
   */
  createClient: (account: IntegratedAccountEntity, onRequest: (event: KnowBe4RequestEvent) => void, dispatcher: Dispatcher, workSlot?: WorkSlot) => ReportingClient;
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
