import { DataSource, EntityManager } from 'typeorm';
import type { SeenPhase } from './snapshot.repository';
import { SyncRunLeaseLostError, SyncRunProgress } from './sync-run-lease.repository';

/** A page's fingerprint as its last whole commit stored it. */
export interface StoredPageFingerprint {
  fingerprint: string;
  records: number;
  maxId: string | null;
}

/** The run a fast-path statement commits for: it renews the lease only while `owner` still holds it. */
export interface LeasedRun {
  id: string;
  accountId: string;
  owner: string;
  leaseSeconds: number;
}

/** The mirror table whose content hashes a list phase compares against. */
const MIRROR_TABLE: Record<SeenPhase, string> = {
  groups: 'directory_groups',
  users: 'directory_users',
  enrollments: 'directory_enrollments',
};

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

/**
 * Page fingerprints and the fast paths they allow: an unchanged page (same bytes, or same record hashes as the
 * mirror) is committed in one statement instead of a full diff transaction.
 */
export class PageFingerprintRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The fast path for a page whose records all match the mirror: in one statement (one round trip, atomic on
   * its own) compares the page's content hashes with the mirror and, only when none differs, renews the lease,
   * saves the progress and records the page's ids as seen. Returns the ids that differ (nothing was written
   * then; the caller diffs them in a full transaction); throws when the run is no longer this poller's.
   * It commits without waiting for the WAL flush: it carries no event, so losing it in a Postgres crash only
   * means re-reading the page, and it spares every unchanged page an fsync.
   */
  async commitPageIfUnchanged(
    run: LeasedRun,
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
    run: LeasedRun,
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
}
