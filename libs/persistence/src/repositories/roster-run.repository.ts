import { DataSource, EntityManager } from 'typeorm';
import { OutboxRepository } from '../outbox/outbox.repository';
import { finishedKind, rosterRunEvent } from './roster-run-events';

export type RosterRunStatus = 'planning' | 'planned' | 'refused' | 'running' | 'completed';

export interface RosterRunRow {
  id: string;
  workspace_id: string;
  account_id: string;
  status: RosterRunStatus;
  dry_run: boolean;
  forced: boolean;
  row_count: number;
  counts: Record<string, number>;
  refusal: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  /** Items by state of their operation: pending (not enqueued yet), queued, running, succeeded, failed. */
  progress: Record<string, number>;
}

/** One planned change; `intent` is what becomes its operation (kind, command type, key, payload, request). */
export interface NewRosterItem {
  itemNo: number;
  action: string;
  line: number | null;
  email: string;
  userId: string | null;
  change: Record<string, unknown>;
  intent: Record<string, unknown>;
  /** Membership items of one group and direction share a batch, and so one operation (null: an operation of its own). */
  batchNo: number | null;
}

export interface RosterItemRow {
  item_no: number;
  action: string;
  line: number | null;
  email: string;
  user_id: string | null;
  change: Record<string, unknown>;
  operation_id: string | null;
  status: string;
  error: Record<string, unknown> | null;
}

export interface PendingRosterItem {
  run_id: string;
  workspace_id: string;
  account_id: string;
  item_no: number;
  intent: Record<string, unknown>;
  batch_no: number | null;
}

const RUN_COLUMNS = `r.id, r.workspace_id, r.account_id, r.status, r.dry_run, r.forced, r.row_count, r.counts, r.refusal, r.created_at,
  r.updated_at, r.finished_at,
  (SELECT coalesce(jsonb_object_agg(s.state, s.n), '{}'::jsonb) FROM (
     SELECT coalesce(o.status, 'pending') AS state, count(*)::int AS n
       FROM roster_run_items i LEFT JOIN operations o ON o.id = i.operation_id WHERE i.run_id = r.id GROUP BY 1) s) AS progress`;

/** How enqueue's answer names an item: `{run_id}:{item_no}`. */
export function rosterItemKey(item: Pick<PendingRosterItem, 'run_id' | 'item_no'>): string {
  return `${item.run_id}:${item.item_no}`;
}

/** Roster runs and their items: the plan as stored, the executor's queue, and progress for GET /roster-runs. */
export class RosterRunRepository {
  private readonly outbox: OutboxRepository;

  constructor(private readonly dataSource: DataSource) {
    this.outbox = new OutboxRepository(dataSource);
  }

  async createRun(input: { id: string; workspaceId: string; accountId: string; dryRun: boolean; forced: boolean }): Promise<void> {
    await this.dataSource.query(`INSERT INTO roster_runs (id, workspace_id, account_id, status, dry_run, forced) VALUES ($1, $2, $3, 'planning', $4, $5)`, [
      input.id,
      input.workspaceId,
      input.accountId,
      input.dryRun,
      input.forced,
    ]);
  }

  async insertItems(runId: string, items: readonly NewRosterItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO roster_run_items (run_id, item_no, action, line, email, user_id, change, intent, batch_no)
       SELECT $1, i.item_no, i.action, i.line, i.email, i.user_id, i.change, i.intent, i.batch_no
         FROM jsonb_to_recordset($2::jsonb) AS i(item_no integer, action text, line integer, email text, user_id text, change jsonb, intent jsonb, batch_no integer)`,
      [
        runId,
        JSON.stringify(
          items.map((i) => ({ item_no: i.itemNo, action: i.action, line: i.line, email: i.email, user_id: i.userId, change: i.change, intent: i.intent, batch_no: i.batchNo })),
        ),
      ],
    );
  }

  /**
   * Ends planning: `planned` (a dry run), `refused` (the guard rail), or `running` (the executor takes it from here;
   * `knowbe4.roster_run.started` goes to the outbox in the same transaction).
   * False when the account already has a running roster run (one at a time per account).
   */
  async finishPlanning(runId: string, status: 'planned' | 'refused' | 'running', rowCount: number, counts: Record<string, number>, refusal: Record<string, unknown> | null): Promise<boolean> {
    try {
      await this.dataSource.transaction(async (manager: EntityManager) => {
        await manager.query(
          `UPDATE roster_runs SET status = $2, row_count = $3, counts = $4, refusal = $5, updated_at = now(),
                  finished_at = CASE WHEN $2 = 'running' THEN NULL ELSE now() END WHERE id = $1`,
          [runId, status, rowCount, JSON.stringify(counts), refusal ? JSON.stringify(refusal) : null],
        );
        if (status !== 'running') return;
        const runs: RosterRunRow[] = await manager.query(`SELECT ${RUN_COLUMNS} FROM roster_runs r WHERE r.id = $1`, [runId]);
        await this.outbox.enqueue(manager, runs.map((run) => rosterRunEvent(run, 'started')));
      });
      return true;
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23505') return false;
      throw error;
    }
  }

  /**
   * Plans of the account still 'planning' after an hour were cut off by a stopped gateway (an upload is received in
   * minutes and planned in seconds): each is ended as refused, saying so, and its staged rows are deleted.
   */
  async abandonInterruptedPlanning(accountId: string): Promise<number> {
    const [{ n }]: Array<{ n: number }> = await this.dataSource.query(
      `WITH abandoned AS (
         UPDATE roster_runs SET status = 'refused', refusal = $2, updated_at = now(), finished_at = now()
          WHERE account_id = $1 AND status = 'planning' AND created_at < now() - interval '1 hour' RETURNING id),
       unstaged AS (DELETE FROM roster_rows WHERE run_id IN (SELECT id FROM abandoned))
       SELECT count(*)::int AS n FROM abandoned`,
      [accountId, JSON.stringify({ reason: 'planning was interrupted (the gateway stopped before the plan was complete); send the roster again' })],
    );
    return n;
  }

  /** A run whose upload was refused before it had a plan leaves nothing behind. */
  async deleteRun(runId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM roster_runs WHERE id = $1`, [runId]);
  }

  findInWorkspace(workspaceId: string, id: string): Promise<RosterRunRow | undefined> {
    return this.dataSource
      .query(`SELECT ${RUN_COLUMNS} FROM roster_runs r WHERE r.workspace_id = $1 AND r.id = $2`, [workspaceId, id])
      .then((rows: RosterRunRow[]) => rows[0]);
  }

  /** Newest first, keyset-paged by (created_at, id). */
  listInWorkspace(workspaceId: string, query: { accountId?: string; limit: number; before?: { createdAt: Date; id: string } }): Promise<RosterRunRow[]> {
    return this.dataSource.query(
      `SELECT ${RUN_COLUMNS} FROM roster_runs r
        WHERE r.workspace_id = $1 AND ($2::uuid IS NULL OR r.account_id = $2)
          AND ($3::timestamptz IS NULL OR (r.created_at, r.id) < ($3, $4::uuid))
        ORDER BY r.created_at DESC, r.id DESC LIMIT $5`,
      [workspaceId, query.accountId ?? null, query.before?.createdAt ?? null, query.before?.id ?? null, query.limit],
    );
  }

  /** A run's items after `afterItemNo` with their operation's state; `failedOnly` lists the per-person errors. */
  itemsPage(runId: string, afterItemNo: number, limit: number, failedOnly = false): Promise<RosterItemRow[]> {
    return this.dataSource.query(
      `SELECT i.item_no, i.action, i.line, i.email, i.user_id, i.change, i.operation_id, coalesce(o.status, 'pending') AS status, o.error
         FROM roster_run_items i LEFT JOIN operations o ON o.id = i.operation_id
        WHERE i.run_id = $1 AND i.item_no > $2 AND (NOT $4 OR o.status = 'failed')
        ORDER BY i.item_no LIMIT $3`,
      [runId, afterItemNo, limit, failedOnly],
    );
  }

  /**
   * The executor's step, in one transaction: locks up to `limit` items of running runs that have no operation yet
   * (SKIP LOCKED: executors of several gateways share the work), lets `enqueue` record their operations, and stores
   * the operation ids. A crash between the two leaves the items pending; enqueue's idempotency keys make the retry
   * return the same operations.
   */
  async enqueuePending(limit: number, enqueue: (items: PendingRosterItem[]) => Promise<Map<string, string>>): Promise<number> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const items: PendingRosterItem[] = await manager.query(
        `SELECT i.run_id, r.workspace_id, r.account_id, i.item_no, i.intent, i.batch_no
           FROM roster_run_items i JOIN roster_runs r ON r.id = i.run_id
          WHERE r.status = 'running' AND i.operation_id IS NULL
          ORDER BY r.created_at, i.run_id, i.item_no LIMIT $1 FOR UPDATE OF i SKIP LOCKED`,
        [limit],
      );
      if (items.length === 0) return 0;
      const operations = await enqueue(items);
      await manager.query(
        `UPDATE roster_run_items i SET operation_id = x.operation_id
           FROM jsonb_to_recordset($1::jsonb) AS x(run_id uuid, item_no integer, operation_id uuid)
          WHERE i.run_id = x.run_id AND i.item_no = x.item_no`,
        [JSON.stringify(items.map((item) => ({ run_id: item.run_id, item_no: item.item_no, operation_id: operations.get(rosterItemKey(item)) ?? null })))],
      );
      return items.length;
    });
  }

  /**
   * The custom fields the completed runs' succeeded creates, updates and reactivations wrote, kept per user (merged
   * over earlier writes; the latest item of a user wins): the planner compares the next roster against them.
   */
  private async keepWrittenCustomFields(manager: EntityManager, runIds: string[]): Promise<void> {
    await manager.query(
      `INSERT INTO roster_custom_fields (account_id, email_lower, custom_fields, written_at)
       SELECT DISTINCT ON (r.account_id, i.email) r.account_id, i.email, w.custom_fields, now()
         FROM roster_run_items i
         JOIN roster_runs r ON r.id = i.run_id
         JOIN operations o ON o.id = i.operation_id AND o.status = 'succeeded'
         CROSS JOIN LATERAL (SELECT coalesce(i.intent->'payload'->'user'->'custom_fields', i.intent->'payload'->'changes'->'custom_fields') AS custom_fields) w
        WHERE i.run_id = ANY($1::uuid[]) AND i.action IN ('create', 'update', 'reactivate') AND jsonb_typeof(w.custom_fields) = 'object'
        ORDER BY r.account_id, i.email, r.created_at DESC, i.item_no DESC
       ON CONFLICT (account_id, email_lower)
       DO UPDATE SET custom_fields = roster_custom_fields.custom_fields || EXCLUDED.custom_fields, written_at = EXCLUDED.written_at`,
      [runIds],
    );
  }

  /** Every item of one batch of a run, in item order (the whole batch makes its operation, whoever enqueues it). */
  batchItems(runId: string, batchNo: number): Promise<Array<{ item_no: number; intent: Record<string, unknown> }>> {
    return this.dataSource.query(`SELECT item_no, intent FROM roster_run_items WHERE run_id = $1 AND batch_no = $2 ORDER BY item_no`, [runId, batchNo]);
  }

  /**
   * Running runs whose every item has an operation that finished become `completed`; returns them. Each one's
   * `knowbe4.roster_run.completed` (or `.failed` when any item failed) goes to the outbox in the same transaction.
   */
  async completeFinishedRuns(): Promise<RosterRunRow[]> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      // a CTE so the driver answers rows (a bare UPDATE … RETURNING answers [rows, rowCount])
      const done: Array<{ id: string }> = await manager.query(
        `WITH done AS (
           UPDATE roster_runs r SET status = 'completed', finished_at = now(), updated_at = now()
            WHERE r.status = 'running' AND NOT EXISTS (
              SELECT 1 FROM roster_run_items i LEFT JOIN operations o ON o.id = i.operation_id
               WHERE i.run_id = r.id AND (o.id IS NULL OR o.status IN ('queued', 'running')))
            RETURNING r.id)
         SELECT id FROM done`,
      );
      if (done.length === 0) return [];
      await this.keepWrittenCustomFields(manager, done.map((row) => row.id));
      const runs: RosterRunRow[] = await manager.query(`SELECT ${RUN_COLUMNS} FROM roster_runs r WHERE r.id = ANY($1::uuid[]) ORDER BY r.created_at, r.id`, [
        done.map((row) => row.id),
      ]);
      await this.outbox.enqueue(manager, runs.map((run) => rosterRunEvent(run, finishedKind(run))));
      return runs;
    });
  }
}
