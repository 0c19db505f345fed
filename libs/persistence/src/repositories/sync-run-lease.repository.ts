import { EntityManager } from 'typeorm';

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

/**
 * A running sync run, inside its executor's transactions: the lease that proves this poller owns it, its progress
 * checkpoints, the ids each page saw, and how it ends (completed, failed, parked until the budget returns).
 */
export class SyncRunLeaseRepository {
  /** Locks the run row for the rest of the transaction and proves this poller still owns it. */
  async assertOwner(manager: EntityManager, runId: string, owner: string, leaseSeconds: number): Promise<void> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING id`,
      [runId, owner, leaseSeconds],
    );
    if (rows.length === 0) throw new SyncRunLeaseLostError(runId);
  }

  /**
   * The heartbeat of this poller's runs that commit nothing for a while (waiting for pace or a slot): leases with less
   * than three quarters of their period left; a row a commit has locked is skipped (that commit renews it), so nothing waits.
   */
  async renew(manager: EntityManager, runIds: readonly string[], owner: string, leaseSeconds: number): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id IN (SELECT id FROM sync_runs
                      WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running'
                        AND lease_expires_at < now() + make_interval(secs => $3::float8 * 3 / 4)
                        FOR UPDATE SKIP LOCKED)`,
      [runIds, owner, leaseSeconds],
    );
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

  /**
   * A run's progress between units of work (a phase done), with its lease renewed, in one statement outside any
   * transaction: it carries no event, so it commits without waiting for the WAL flush (lost in a Postgres crash, the
   * run resumes from the checkpoint before it and reads a phase again). False when the run is no longer this poller's.
   */
  async saveProgressIfOwner(runner: { query: EntityManager['query'] }, runId: string, owner: string, leaseSeconds: number, progress: SyncRunProgress): Promise<boolean> {
    const rows = await runner.query<Array<{ id: string }>>(
      `WITH durability AS (SELECT set_config('synchronous_commit', 'off', true))
       UPDATE sync_runs SET lease_expires_at = now() + make_interval(secs => $3), pages = $4, requests = $5, counts = $6, checkpoint = $7
        WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND (SELECT count(*) FROM durability) = 1
       RETURNING id`,
      [runId, owner, leaseSeconds, progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
    return rows.length > 0;
  }

  /** Remembers which remote ids one page saw (deletion detection and resume). */
  async recordSeenPage(manager: EntityManager, runId: string, phase: string, page: number, remoteIds: readonly string[]): Promise<void> {
    await manager.query(
      `INSERT INTO sync_run_pages (run_id, phase, page, remote_ids) VALUES ($1, $2, $3, $4::bigint[])
       ON CONFLICT (run_id, phase, page) DO UPDATE SET remote_ids = EXCLUDED.remote_ids`,
      [runId, phase, page, remoteIds],
    );
  }

  /** The run ends complete; the account's own record is stamped by IntegratedAccountRepository.markSyncCompleted. */
  async complete(manager: EntityManager, runId: string, progress: SyncRunProgress): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET status = 'completed', finished_at = now(), pages = $2, requests = $3, counts = $4, checkpoint = $5,
              lease_owner = NULL, lease_expires_at = NULL, error = NULL
        WHERE id = $1`,
      [runId, progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
    await manager.query(`DELETE FROM sync_run_pages WHERE run_id = $1`, [runId]);
  }

  /** What the run spent per phase and its account's request plan for the day (issue 16 point 3), shown on the run. */
  async recordRequestPlan(manager: EntityManager, runId: string, plan: Record<string, unknown>): Promise<void> {
    await manager.query(`UPDATE sync_runs SET request_plan = $2::jsonb WHERE id = $1`, [runId, JSON.stringify(plan)]);
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

  /** The daily budget is spent: park the run with its checkpoint until the next window opens. */
  async waitForBudget(manager: EntityManager, runId: string, resumeAt: Date, progress: SyncRunProgress): Promise<void> {
    await manager.query(
      `UPDATE sync_runs SET status = 'waiting_for_budget', resume_at = $2, pages = $3, requests = $4, counts = $5, checkpoint = $6,
              lease_owner = NULL, lease_expires_at = NULL
        WHERE id = $1`,
      [runId, resumeAt, progress.pages, progress.requests, JSON.stringify(progress.counts), JSON.stringify(progress.checkpoint)],
    );
  }
}
