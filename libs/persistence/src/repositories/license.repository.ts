import type { DataSource, EntityManager } from 'typeorm';
import { KEYSET_TIME_SQL } from './account-admin.repository';

/** The seat figures of KnowBe4's GET /v1/account (trial accounts omit them: null). */
export interface AccountSubscription {
  numberOfSeats: number | null;
  subscriptionLevel: string | null;
  subscriptionEndDate: string | null;
  fetchedAt: Date;
  syncRunId: string | null;
}

export type ArchiveSource = 'api' | 'roster' | 'automation' | 'knowbe4-console' | 'unknown';

export interface ArchivedUserRow {
  seq: string;
  remoteId: string | null;
  scimId: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  archivedAt: Date;
  /** archivedAt as microsecond ISO text: the page's keyset (a Date would round it). */
  archivedAtKey: string;
  source: ArchiveSource;
  operationId: string | null;
  actor: Record<string, unknown> | null;
}

export interface SeatCounts {
  activeUsers: number;
  archivedUsers: number;
  freedLast30Days: number;
  freedLast90Days: number;
}

export interface ArchivedUserPosition {
  archivedAt: string;
  seq: string;
}

// The user writes that archive: DELETE /users/{id}, and a PATCH (or roster update) setting status inactive; the
// predicate of the partial index operations_user_archives_idx (migration 1764520000000), keep the two alike.
const ARCHIVING_OPERATION_SQL = (alias: string): string =>
  `(${alias}.kind = 'user.archive' OR (${alias}.kind = 'user.update' AND ${alias}.request->'command'->'payload'->'changes'->>'status' = 'inactive'))`;

// Our write is the cause when KnowBe4's archived_at falls within its request's lifetime (clocks may differ a little).
const ATTRIBUTION_SLACK = `interval '5 minutes'`;

/**
 * Whether user `a` came back after our archiving write `o` finished, so that a later archive is not that write's: our
 * reactivating write (PATCH status active), or the poller's `knowbe4.user.reactivated` event (kept in the outbox for its
 * retention, 7 days by default). Only asked when KnowBe4's archived_at is later than the write, within the slack.
 */
const REACTIVATED_SINCE_SQL = `(
    EXISTS (SELECT 1 FROM operations r
             WHERE r.account_id = $1 AND r.target_key = o.target_key AND r.status = 'succeeded' AND r.finished_at > o.finished_at
               AND r.kind = 'user.update' AND r.request->'command'->'payload'->'changes'->>'status' = 'active')
    OR (a.remote_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM outbox_events e
           WHERE e.message_key = $1::text || ':user:' || a.remote_id::text AND e.event_type = 'knowbe4.user.reactivated'
             AND e.created_at > o.finished_at)))`;

/**
 * Every archived user of an account with when and why: `archived_at` is KnowBe4's own timestamp as the last sync
 * mirrored it, else the finish of our archiving write (not synced yet). The cause is our latest succeeded write that
 * archived the user around then (a roster run's item, else by its actor: automation or API); otherwise, when a sync saw the user archived,
 * an edit in the KnowBe4 console (or another tool writing to KnowBe4).
 */
const ARCHIVED_USERS_CTE = `
  archived AS (
    SELECT u.seq, u.remote_id, u.scim_id, u.first_name, u.last_name, u.updated_at,
           coalesce(u.email_lower, lower(u.record->>'username')) AS email,
           (u.remote_data->>'status' = 'archived') AS observed,
           CASE WHEN u.remote_data->>'status' = 'archived' AND u.remote_data->>'archived_at' ~ '^\\d{4}-\\d{2}-\\d{2}T[0-9:.]+(Z|[+-]\\d{2}:?\\d{2})$'
                THEN (u.remote_data->>'archived_at')::timestamptz END AS remote_archived_at
      FROM directory_users u
     WHERE u.account_id = $1 AND u.status = 'inactive'),
  attributed AS (
    SELECT a.*, op.id AS operation_id, op.finished_at AS op_finished_at,
           CASE WHEN op.roster_run_id IS NOT NULL THEN jsonb_build_object('type', 'roster', 'id', op.roster_run_id) ELSE op.actor END AS actor
      FROM archived a
      LEFT JOIN LATERAL (
        SELECT o.id, o.actor, o.finished_at,
               (SELECT ri.run_id::text FROM roster_run_items ri WHERE ri.operation_id = o.id LIMIT 1) AS roster_run_id
          FROM operations o
         WHERE o.account_id = $1 AND o.target_key = $1::text || ':user:' || a.email
           AND o.status = 'succeeded' AND ${ARCHIVING_OPERATION_SQL('o')}
           AND (a.remote_archived_at IS NULL
                OR a.remote_archived_at BETWEEN o.created_at - ${ATTRIBUTION_SLACK} AND o.finished_at + ${ATTRIBUTION_SLACK})
           AND (a.remote_archived_at IS NULL OR a.remote_archived_at <= o.finished_at OR NOT ${REACTIVATED_SINCE_SQL})
         ORDER BY o.finished_at DESC
         LIMIT 1) op ON true),
  dated AS (
    SELECT t.*, coalesce(t.remote_archived_at, t.op_finished_at, t.updated_at) AS archived_at,
           CASE WHEN t.operation_id IS NOT NULL THEN
                  CASE t.actor->>'type' WHEN 'roster' THEN 'roster' WHEN 'automation' THEN 'automation' ELSE 'api' END
                WHEN t.observed THEN 'knowbe4-console'
                ELSE 'unknown' END AS source
      FROM attributed t)`;

type Queryable = Pick<EntityManager, 'query'>;

/** Seats and offboarding of an account: KnowBe4's seat figures as synced, and its archived users with date and cause. */
export class LicenseRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores what the poller read from GET /v1/account, in the run's own transaction. */
  async recordSubscription(
    manager: Queryable,
    accountId: string,
    syncRunId: string | null,
    account: { number_of_seats?: number | null; subscription_level?: string | null; subscription_end_date?: string | null },
  ): Promise<void> {
    const seats = typeof account.number_of_seats === 'number' && Number.isFinite(account.number_of_seats) ? Math.trunc(account.number_of_seats) : null;
    await manager.query(
      `INSERT INTO account_subscriptions (account_id, number_of_seats, subscription_level, subscription_end_date, fetched_at, sync_run_id)
       SELECT $1, $2, $3, $4, now(), $5 WHERE EXISTS (SELECT 1 FROM integrated_accounts WHERE id = $1)
       ON CONFLICT (account_id) DO UPDATE SET number_of_seats = EXCLUDED.number_of_seats, subscription_level = EXCLUDED.subscription_level,
         subscription_end_date = EXCLUDED.subscription_end_date, fetched_at = EXCLUDED.fetched_at, sync_run_id = EXCLUDED.sync_run_id`,
      [accountId, seats, textOrNull(account.subscription_level), textOrNull(account.subscription_end_date), syncRunId],
    );
  }

  async subscriptionOf(accountId: string): Promise<AccountSubscription | null> {
    const rows: AccountSubscription[] = await this.dataSource.query(
      `SELECT number_of_seats AS "numberOfSeats", subscription_level AS "subscriptionLevel", subscription_end_date AS "subscriptionEndDate",
              fetched_at AS "fetchedAt", sync_run_id AS "syncRunId"
         FROM account_subscriptions WHERE account_id = $1`,
      [accountId],
    );
    return rows[0] ?? null;
  }

  async seatCounts(accountId: string): Promise<SeatCounts> {
    const [row]: Array<Record<keyof SeatCounts, string>> = await this.dataSource.query(
      `WITH ${ARCHIVED_USERS_CTE}
       SELECT (SELECT count(*) FROM directory_users WHERE account_id = $1 AND status = 'active') AS "activeUsers",
              (SELECT count(*) FROM dated) AS "archivedUsers",
              (SELECT count(*) FROM dated WHERE archived_at >= now() - interval '30 days') AS "freedLast30Days",
              (SELECT count(*) FROM dated WHERE archived_at >= now() - interval '90 days') AS "freedLast90Days"`,
      [accountId],
    );
    return {
      activeUsers: Number(row.activeUsers),
      archivedUsers: Number(row.archivedUsers),
      freedLast30Days: Number(row.freedLast30Days),
      freedLast90Days: Number(row.freedLast90Days),
    };
  }

  /** A page of archived users, most recently archived first; `limit + 1` rows tell whether another page follows. */
  async archivedUsers(accountId: string, limit: number, after?: ArchivedUserPosition): Promise<ArchivedUserRow[]> {
    return this.dataSource.query(
      `WITH ${ARCHIVED_USERS_CTE}
       SELECT seq::text AS seq, remote_id::text AS "remoteId", scim_id AS "scimId", email, first_name AS "firstName", last_name AS "lastName",
              archived_at AS "archivedAt", ${KEYSET_TIME_SQL('archived_at')} AS "archivedAtKey", source, operation_id AS "operationId", actor
         FROM dated
        WHERE $3::timestamptz IS NULL OR (archived_at, seq) < ($3::timestamptz, $4::bigint)
        ORDER BY archived_at DESC, seq DESC
        LIMIT $2`,
      [accountId, limit, after?.archivedAt ?? null, after?.seq ?? null],
    );
  }
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, 200) : null;
}
