import { DataSource, Repository } from 'typeorm';
import { SyncRunEntity } from '../entities/operations.entities';
import { KEYSET_TIME_SQL, KeysetPage, TimeKeyset, toPage } from './account-admin.repository';

export type SyncRunTriggerKind = 'schedule' | 'manual' | 'initial';

export interface ClaimableRun {
  id: string;
  accountId: string;
}

const ACTIVE = `('queued', 'running', 'waiting_for_budget')`;

/**
 * The queue of sync runs: runs queued on schedule or on demand, the runs a poller may claim, taking one over,
 * and the run history of an account. An account has at most one active run (a partial unique index).
 */
export class SyncQueueRepository {
  private readonly runs: Repository<SyncRunEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.runs = dataSource.getRepository(SyncRunEntity);
  }

  /**
   * Queues a run for every active account whose last run started at least its interval ago (or that never ran).
   * The partial unique index keeps one active run per account even when several pollers do this at once.
   */
  async enqueueDueRuns(defaultIntervalSeconds: number, timeScale = 1): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger)
       SELECT a.id, 'queued', CASE WHEN last.started_at IS NULL THEN 'initial' ELSE 'schedule' END
         FROM integrated_accounts a
         LEFT JOIN LATERAL (SELECT max(r.started_at) AS started_at FROM sync_runs r WHERE r.account_id = a.id) last ON true
        WHERE a.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.account_id = a.id AND r.status IN ${ACTIVE})
          AND (last.started_at IS NULL
               OR last.started_at <= now() - make_interval(secs => COALESCE(a.poll_interval_seconds, $1)::float8 / $2))
       ON CONFLICT (account_id) WHERE status IN ${ACTIVE} DO NOTHING
       RETURNING id`,
      [defaultIntervalSeconds, timeScale],
    );
    return rows.length;
  }

  /** Queues a manual run; an account has at most one active run, which is returned instead. */
  async queueManualSync(accountId: string): Promise<{ run: SyncRunEntity; created: boolean }> {
    const inserted: Array<{ id: string }> = await this.dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger) VALUES ($1, 'queued', 'manual')
       ON CONFLICT (account_id) WHERE status IN ${ACTIVE} DO NOTHING RETURNING id`,
      [accountId],
    );
    // re-read: started_at and counts are database defaults
    if (inserted[0]) return { run: await this.runs.findOneByOrFail({ id: inserted[0].id }), created: true };
    const active = await this.runs.findOne({
      where: [
        { accountId, status: 'queued' },
        { accountId, status: 'running' },
        { accountId, status: 'waiting_for_budget' },
      ],
      order: { startedAt: 'DESC' },
    });
    if (!active) return this.queueManualSync(accountId); // it finished in between
    return { run: active, created: false };
  }

  /**
   * Runs some poller could execute now: queued, running (its owner may be dead) or due after a budget wait. Manual
   * runs (`POST …/sync`) first, then the most overdue (queued the longest, or waiting since their budget reopened);
   * runs whose owner still renews its lease come last, so a fleet's running runs never crowd the queued out of the list.
   */
  async listClaimable(limit: number): Promise<ClaimableRun[]> {
    const rows: Array<{ id: string; account_id: string }> = await this.dataSource.query(
      `SELECT id, account_id FROM sync_runs
        WHERE status IN ('queued', 'running') OR (status = 'waiting_for_budget' AND resume_at <= now())
        ORDER BY (status = 'running' AND lease_expires_at > now()),
                 (status = 'queued' AND trigger = 'manual') DESC,
                 COALESCE(resume_at, started_at)
        LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({ id: row.id, accountId: row.account_id }));
  }

  /**
   * Running runs whose lease expired: their owner died or stalled (a live owner renews with every commit). A replica
   * takes these over even when it is full, so a killed replica's accounts are picked up within one lease period.
   */
  async listExpiredLeases(limit: number): Promise<ClaimableRun[]> {
    const rows: Array<{ id: string; account_id: string }> = await this.dataSource.query(
      `SELECT id, account_id FROM sync_runs WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1`,
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
    return rows[0] ? syncRunFromRow(rows[0]) : null;
  }

  findById(runId: string): Promise<SyncRunEntity | null> {
    return this.runs.findOneBy({ id: runId });
  }

  listForAccount(accountId: string): Promise<SyncRunEntity[]> {
    return this.runs.find({ where: { accountId }, order: { startedAt: 'ASC' } });
  }

  /** Runs of an account, newest first, `limit` at a time after `after`. */
  async pageRunsOf(accountId: string, limit: number, after?: TimeKeyset): Promise<KeysetPage<SyncRunEntity>> {
    const query = this.runs
      .createQueryBuilder('r')
      .addSelect(KEYSET_TIME_SQL('r.started_at'), 'keyset_at')
      .where('r.account_id = :accountId', { accountId })
      .orderBy('r.started_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1);
    if (after) query.andWhere('(r.started_at, r.id) < (:at::timestamptz, :id::uuid)', { at: after.at, id: after.id });
    return toPage(await query.getRawAndEntities(), limit);
  }
}

/** A `sync_runs` row as RETURNING * gives it. */
export function syncRunFromRow(row: Record<string, unknown>): SyncRunEntity {
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
    graphPlan: (row.graph_plan as Record<string, unknown> | null) ?? null,
    requestPlan: (row.request_plan as Record<string, unknown> | null) ?? null,
    error: (row.error as string | null) ?? null,
    leaseOwner: (row.lease_owner as string | null) ?? null,
    leaseExpiresAt: (row.lease_expires_at as Date | null) ?? null,
  };
}
