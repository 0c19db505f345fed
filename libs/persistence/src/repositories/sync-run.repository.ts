import { DataSource, EntityManager } from 'typeorm';
import { SyncRunEntity } from '../entities/operations.entities';
import type { SeenPhase } from './snapshot.repository';

export type SyncRunTriggerKind = 'schedule' | 'manual' | 'initial';

/** Thrown inside a run's transaction when another poller has taken the run over. */
export class SyncRunLeaseLostError extends Error {
  constructor(readonly runId: string) {
    super(`sync run ${runId} is no longer leased by this poller`);
    this.name = 'SyncRunLeaseLostError';
  }
}

export interface SyncRunProgress {
  pages: number;
  requests: number;
  counts: Record<string, number>;
  checkpoint: Record<string, unknown>;
}

export interface ClaimableRun {
  id: string;
  accountId: string;
}

const ACTIVE = `('queued', 'running', 'waiting_for_budget')`;

/**
 * SQL of a digest of the mirror rows of a page's ids (`$ids` a bigint[] parameter, `$account` the account):
 * which ids, in page order, with which content hashes (or none). Equal digests mean equal mirror rows.
 */
function mirrorDigestSql(phase: SeenPhase, ids: string, account: string): string {
  return `(SELECT md5(string_agg(x.remote_id::text || ':' ||
            COALESCE((SELECT m.content_hash FROM ${MIRROR_TABLE[phase]} m WHERE m.account_id = ${account} AND m.remote_id = x.remote_id), '-'),
            ',' ORDER BY x.ord))
     FROM unnest(${ids}::bigint[]) WITH ORDINALITY AS x(remote_id, ord))`;
}

/** The mirror table whose content hashes a list phase compares against. */
const MIRROR_TABLE: Record<SeenPhase, string> = {
  groups: 'directory_groups',
  users: 'directory_users',
  enrollments: 'directory_enrollments',
};

/** A page's fingerprint as its last whole commit stored it. */
export interface StoredPageFingerprint {
  fingerprint: string;
  records: number;
  maxId: string | null;
}

/** Sync runs: scheduling, claiming with a lease, progress checkpoints and the seen-ids pages of a run. */

export class SyncRunRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Queues a run for every active account whose last run started at least its interval ago (or that never ran).
   * The partial unique index keeps one active run per account even when several pollers do this at once.
   */
  async enqueueDueRuns(defaultIntervalSeconds: number): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger)
       SELECT a.id, 'queued', CASE WHEN last.started_at IS NULL THEN 'initial' ELSE 'schedule' END
         FROM integrated_accounts a
         LEFT JOIN LATERAL (SELECT max(r.started_at) AS started_at FROM sync_runs r WHERE r.account_id = a.id) last ON true
        WHERE a.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.account_id = a.id AND r.status IN ${ACTIVE})
          AND (last.started_at IS NULL
               OR last.started_at <= now() - make_interval(secs => COALESCE(a.poll_interval_seconds, $1)))
       ON CONFLICT (account_id) WHERE status IN ${ACTIVE} DO NOTHING
       RETURNING id`,
      [defaultIntervalSeconds],
    );
    return rows.length;
  }

  /** On-demand run; returns the account's active run when one is already queued or running. */
  async requestRun(accountId: string, trigger: SyncRunTriggerKind = 'manual'): Promise<{ id: string; created: boolean }> {
    const inserted: Array<{ id: string }> = await this.dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger) VALUES ($1, 'queued', $2)
       ON CONFLICT (account_id) WHERE status IN ${ACTIVE} DO NOTHING RETURNING id`,
      [accountId, trigger],
    );
    if (inserted[0]) return { id: inserted[0].id, created: true };
    const active: Array<{ id: string }> = await this.dataSource.query(
      `SELECT id FROM sync_runs WHERE account_id = $1 AND status IN ${ACTIVE}`,
      [accountId],
    );
    if (!active[0]) return this.requestRun(accountId, trigger);
    return { id: active[0].id, created: false };
  }

  /** Runs some poller could execute now: queued, running (its owner may be dead) or due after a budget wait. */
  async listClaimable(limit: number): Promise<ClaimableRun[]> {
    const rows: Array<{ id: string; account_id: string }> = await this.dataSource.query(
      `SELECT id, account_id FROM sync_runs
        WHERE status IN ('queued', 'running') OR (status = 'waiting_for_budget' AND resume_at <= now())
        ORDER BY started_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, accountId: row.account_id }));
  }

  /**
   * Makes this poller the run's owner. Call only while holding the account's advisory lock: a run still marked
   * running whose lock was free has lost its owner (crash), so taking it over is safe.
   */
  async takeOver(runId: string, owner: string, leaseSeconds: number): Promise<SyncRunEntity | null> {
    // TypeORM answers an UPDATE with [rows, affectedCount]
    const [rows] = await this.dataSource.query<[Array<Record<string, unknown>>, number]>(
      `UPDATE sync_runs
          SET status = 'running', lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3),
              started_at = CASE WHEN status = 'queued' THEN now() ELSE started_at END, resume_at = NULL
        WHERE id = $1 AND (status IN ('queued', 'running') OR (status = 'waiting_for_budget' AND resume_at <= now()))
        RETURNING *`,
      [runId, owner, leaseSeconds],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  /** Locks the run row for the rest of the transaction and proves this poller still owns it. */
  async assertOwner(manager: EntityManager, runId: string, owner: string, leaseSeconds: number): Promise<void> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING id`,
      [runId, owner, leaseSeconds],
    );
    if (rows.length === 0) throw new SyncRunLeaseLostError(runId);
  }

  async saveProgress(manager: EntityManager, runId: string, progress: SyncRunProgress): Promise<void> {
    await manager.query(`UPDATE sync_runs SET pages = $2, requests = $3, counts = $4, checkpoint = $5 WHERE id = $1`, [
      runId,
      progress.pages,
      progress.requests,
      JSON.stringify(progress.counts),
      JSON.stringify(progress.checkpoint),
    ]);
  }

  /** Remembers which remote ids one page saw (deletion detection and resume). */
  async recordSeenPage(manager: EntityManager, runId: string, phase: string, page: number, remoteIds: readonly string[]): Promise<void> {
    await manager.query(
      `INSERT INTO sync_run_pages (run_id, phase, page, remote_ids) VALUES ($1, $2, $3, $4::bigint[])
       ON CONFLICT (run_id, phase, page) DO UPDATE SET remote_ids = EXCLUDED.remote_ids`,
      [runId, phase, page, remoteIds],
    );
  }

  /**
   * The fast path for a page whose records all match the mirror: in one statement (one round trip, atomic on
   * its own) compares the page's content hashes with the mirror and, only when none differs, renews the lease,
   * saves the progress and records the page's ids as seen. Returns the ids that differ (nothing was written
   * then; the caller diffs them in a full transaction); throws when the run is no longer this poller's.
   * It commits without waiting for the WAL flush: it carries no event, so losing it in a Postgres crash only
   * means re-reading the page, and it spares every unchanged page an fsync.
   */
  async commitPageIfUnchanged(
    run: { id: string; accountId: string; owner: string; leaseSeconds: number },
    page: { phase: SeenPhase; page: number; remoteIds: readonly string[]; hashes: readonly string[]; fingerprint?: string },
    progress: SyncRunProgress,
  ): Promise<{ committed: boolean; changedIds: string[] }> {
    const rows: Array<{ committed: number; changed: string[] | null }> = await this.dataSource.query(
      `WITH durability AS (SELECT set_config('synchronous_commit', 'off', true)),
            page(remote_id, content_hash) AS (SELECT * FROM unnest($5::bigint[], $6::text[])),
            -- a scalar subquery per id: always an index probe, whatever the (often stale, mid-sync) statistics say
            changed AS (
              SELECT p.remote_id FROM page p
               WHERE (SELECT m.content_hash FROM ${MIRROR_TABLE[page.phase]} m WHERE m.account_id = $2 AND m.remote_id = p.remote_id)
                     IS DISTINCT FROM p.content_hash),
            run AS (
              UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $4), pages = $9, requests = $10, counts = $11, checkpoint = $12
               WHERE id = $1 AND lease_owner = $3 AND status = 'running' AND NOT EXISTS (SELECT 1 FROM changed)
              RETURNING id),
            seen AS (
              INSERT INTO sync_run_pages (run_id, phase, page, remote_ids) SELECT id, $7, $8, $5::bigint[] FROM run
              ON CONFLICT (run_id, phase, page) DO UPDATE SET remote_ids = EXCLUDED.remote_ids),
            fingerprint AS (
              INSERT INTO sync_page_fingerprints (account_id, phase, page, fingerprint, mirror_digest, remote_ids)
              SELECT $2, $7, $8, $13, ${mirrorDigestSql(page.phase, '$5', '$2')}, $5::bigint[] FROM run WHERE $13::text IS NOT NULL
              ON CONFLICT (account_id, phase, page) DO UPDATE
                 SET fingerprint = EXCLUDED.fingerprint, mirror_digest = EXCLUDED.mirror_digest, remote_ids = EXCLUDED.remote_ids,
                     recorded_at = now())
       SELECT (SELECT count(*)::int FROM run) AS committed, (SELECT array_agg(remote_id::text) FROM changed) AS changed,
              (SELECT count(*) FROM durability) AS async_commit`,
      [
        run.id,
        run.accountId,
        run.owner,
        run.leaseSeconds,
        page.remoteIds,
        page.hashes,
        page.phase,
        page.page,
        progress.pages,
        progress.requests,
        JSON.stringify(progress.counts),
        JSON.stringify(progress.checkpoint),
        page.fingerprint ?? null,
      ],
    );
    const changedIds = rows[0]?.changed ?? [];
    // nothing differed yet nothing was written: the run row is no longer ours
    if (!rows[0]?.committed && changedIds.length === 0) throw new SyncRunLeaseLostError(run.id);
    return { committed: changedIds.length === 0, changedIds };
  }

  /**
   * What each page of a list looked like when it was last committed whole: its fingerprint, how many records it
   * held and its largest id — enough to settle a byte-identical page without parsing it.
   */
  async storedPageFingerprints(accountId: string, phase: SeenPhase): Promise<Map<number, StoredPageFingerprint>> {
    const rows: Array<{ page: number; fingerprint: string; records: number; max_id: string | null }> = await this.dataSource.query(
      `SELECT page, fingerprint, cardinality(remote_ids) AS records, (SELECT max(id) FROM unnest(remote_ids) AS id)::text AS max_id
         FROM sync_page_fingerprints WHERE account_id = $1 AND phase = $2`,
      [accountId, phase],
    );
    return new Map(rows.map((row) => [row.page, { fingerprint: row.fingerprint, records: row.records, maxId: row.max_id }]));
  }

  /**
   * The fastest path, for a run of consecutive pages: each page's raw bytes hash to the fingerprint stored when it
   * was last committed, and the mirror rows of its stored ids are exactly as they were right after that commit.
   * Then, in one statement (WAL flush not awaited, as above), the lease is renewed, the progress saved and every
   * page's ids recorded as seen. Returns false (nothing written) unless all pages match; throws when the run is no
   * longer this poller's.
   */
  async commitPagesIfFingerprintsMatch(
    run: { id: string; accountId: string; owner: string; leaseSeconds: number },
    pages: { phase: SeenPhase; pages: ReadonlyArray<{ page: number; fingerprint: string }> },
    progress: SyncRunProgress,
  ): Promise<boolean> {
    const rows: Array<{ committed: number; owned: boolean }> = await this.dataSource.query(
      `WITH durability AS (SELECT set_config('synchronous_commit', 'off', true)),
            input AS (SELECT * FROM unnest($5::int[], $6::text[]) AS i(page, fingerprint)),
            -- materialized: the digest (an index probe per id) runs only for the pages whose bytes matched
            candidates AS MATERIALIZED (
              SELECT f.page, f.remote_ids, f.mirror_digest FROM sync_page_fingerprints f JOIN input i ON i.page = f.page AND i.fingerprint = f.fingerprint
               WHERE f.account_id = $2 AND f.phase = $7),
            matched AS (
              SELECT c.page, c.remote_ids FROM candidates c WHERE c.mirror_digest = ${mirrorDigestSql(pages.phase, 'c.remote_ids', '$2')}),
            run AS (
              UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $4), pages = $8, requests = $9, counts = $10, checkpoint = $11
               WHERE id = $1 AND lease_owner = $3 AND status = 'running' AND (SELECT count(*) FROM matched) = cardinality($5::int[])
              RETURNING id),
            seen AS (
              INSERT INTO sync_run_pages (run_id, phase, page, remote_ids) SELECT run.id, $7, m.page, m.remote_ids FROM run CROSS JOIN matched m
              ON CONFLICT (run_id, phase, page) DO UPDATE SET remote_ids = EXCLUDED.remote_ids)
       SELECT (SELECT count(*)::int FROM run) AS committed,
              EXISTS (SELECT 1 FROM sync_runs WHERE id = $1 AND lease_owner = $3 AND status = 'running') AS owned,
              (SELECT count(*) FROM durability) AS async_commit`,
      [
        run.id,
        run.accountId,
        run.owner,
        run.leaseSeconds,
        pages.pages.map((p) => p.page),
        pages.pages.map((p) => p.fingerprint),
        pages.phase,
        progress.pages,
        progress.requests,
        JSON.stringify(progress.counts),
        JSON.stringify(progress.checkpoint),
      ],
    );
    if (rows[0]?.committed) return true;
    if (!rows[0]?.owned) throw new SyncRunLeaseLostError(run.id);
    return false;
  }

  /** Remembers a committed page's fingerprint with the digest of its mirror rows as they are now (same transaction). */
  async recordPageFingerprint(
    manager: EntityManager,
    accountId: string,
    page: { phase: SeenPhase; page: number; remoteIds: readonly string[]; fingerprint: string },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO sync_page_fingerprints (account_id, phase, page, fingerprint, mirror_digest, remote_ids)
       VALUES ($1, $2, $3, $4, ${mirrorDigestSql(page.phase, '$5', '$1')}, $5::bigint[])
       ON CONFLICT (account_id, phase, page) DO UPDATE
          SET fingerprint = EXCLUDED.fingerprint, mirror_digest = EXCLUDED.mirror_digest, remote_ids = EXCLUDED.remote_ids, recorded_at = now()`,
      [accountId, page.phase, page.page, page.fingerprint, page.remoteIds],
    );
  }

  async complete(manager: EntityManager, run: { id: string; accountId: string }, progress: SyncRunProgress): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET status = 'completed', finished_at = now(), pages = $2, requests = $3, counts = $4, checkpoint = $5,
              lease_owner = NULL, lease_expires_at = NULL, error = NULL
        WHERE id = $1`,
      [run.id, progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
    await manager.query(`UPDATE integrated_accounts SET last_sync_completed_at = now() WHERE id = $1`, [run.accountId]);
    await manager.query(`DELETE FROM sync_run_pages WHERE run_id = $1`, [run.id]);
  }

  async fail(manager: EntityManager, runId: string, error: string, progress: SyncRunProgress): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET status = 'failed', finished_at = now(), error = $2, pages = $3, requests = $4, counts = $5,
              checkpoint = $6, lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1`,
      [runId, error.slice(0, 2000), progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
    await manager.query(`DELETE FROM sync_run_pages WHERE run_id = $1`, [runId]);
  }

  /**
   * KnowBe4 answered 401 to the credentials a run read (`credentialsCiphertext`): the account becomes `auth_failed`,
   * so no run is queued for it until the gateway re-verifies or replaces its credentials. True when this call
   * marked it; false when it was not active any more or its credentials were replaced since the run read them.
   */
  async markCredentialsRejected(manager: EntityManager, accountId: string, credentialsCiphertext: string): Promise<boolean> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE integrated_accounts SET status = 'auth_failed', updated_at = now()
        WHERE id = $1 AND status = 'active' AND credentials_ciphertext = $2 RETURNING id`,
      [accountId, credentialsCiphertext],
    );
    return rows.length > 0;
  }

  /** The daily budget is spent: park the run with its checkpoint until the next window opens. */
  async waitForBudget(manager: EntityManager, runId: string, resumeAt: Date, progress: SyncRunProgress): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET status = 'waiting_for_budget', resume_at = $2, pages = $3, requests = $4, counts = $5, checkpoint = $6,
              lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1`,
      [runId, resumeAt, progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
  }

  findById(runId: string): Promise<SyncRunEntity | null> {
    return this.dataSource.getRepository(SyncRunEntity).findOneBy({ id: runId });
  }

  listForAccount(accountId: string): Promise<SyncRunEntity[]> {
    return this.dataSource.getRepository(SyncRunEntity).find({ where: { accountId }, order: { startedAt: 'ASC' } });
  }
}

function toEntity(row: Record<string, unknown>): SyncRunEntity {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    status: row.status as SyncRunEntity['status'],
    trigger: row.trigger as string,
    startedAt: row.started_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    resumeAt: (row.resume_at as Date | null) ?? null,
    pages: row.pages as number,
    requests: row.requests as number,
    counts: (row.counts as Record<string, number>) ?? {},
    checkpoint: (row.checkpoint as Record<string, unknown> | null) ?? null,
    error: (row.error as string | null) ?? null,
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseExpiresAt: (row.lease_expires_at as Date | null) ?? null,
  };
}
