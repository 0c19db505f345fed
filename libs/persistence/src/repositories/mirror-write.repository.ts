import { EntityManager } from 'typeorm';

/** One user as the poller writes it into the mirror; `seq` set means "update that row" (also a SCIM-created one). */
export interface SyncedUserWrite {
  seq: string | null;
  remoteId: string;
  provisioningGuid: string | null;
  emailLower: string | null;
  employeeNumber: string | null;
  status: 'active' | 'inactive';
  firstName: string | null;
  lastName: string | null;
  department: string | null;
  record: Record<string, unknown>;
  remoteData: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
  /** When the content last changed; null keeps the row's current value (only volatile fields moved). */
  updatedAt: string | null;
}

export interface SyncedGroupWrite {
  seq: string | null;
  remoteId: string;
  name: string;
  record: Record<string, unknown>;
  remoteData: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
  updatedAt: string | null;
}

export interface SyncedEnrollmentWrite {
  remoteId: string;
  userRemoteId: string | null;
  record: Record<string, unknown>;
  contentHash: string;
  updatedAt: string;
}

/** A record the mirror refused on its own (its batch was retried record by record). */
export interface RejectedRecordWrite {
  remoteId: string;
  /** Postgres SQLSTATE, e.g. `54000` (index row too large), `22P05` (NUL in text/jsonb). */
  code: string;
}

/**
 * SQLSTATE classes a single record can cause: data exceptions (22: NUL, bad escapes, bad values), integrity
 * constraints (23) and program limits (54: an index row over the page limit). Anything else (a lost connection,
 * a lost lease, a deadlock) is not about one record and fails the batch as before.
 */
const RECORD_ERROR_CLASSES = new Set(['22', '23', '54']);

export function isRecordDataError(error: unknown): error is { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && RECORD_ERROR_CLASSES.has(code.slice(0, 2));
}

/**
 * Runs `write` over the whole batch inside a savepoint; if the batch is refused for a data reason, rolls back to
 * it and writes record by record (a savepoint each), so one bad record cannot stop the rest. The normal path costs
 * two extra round trips (SAVEPOINT/RELEASE), only on pages that have changes.
 */
async function writeIsolating<T extends { remoteId: string }>(
  manager: EntityManager,
  rows: readonly T[],
  write: (rows: readonly T[]) => Promise<void>,
): Promise<RejectedRecordWrite[]> {
  if (rows.length === 0) return [];
  await manager.query('SAVEPOINT mirror_batch');
  try {
    await write(rows);
    await manager.query('RELEASE SAVEPOINT mirror_batch');
    return [];
  } catch (error) {
    if (!isRecordDataError(error)) throw error;
    await manager.query('ROLLBACK TO SAVEPOINT mirror_batch');
  }
  const rejected: RejectedRecordWrite[] = [];
  for (const row of rows) {
    await manager.query('SAVEPOINT mirror_record');
    try {
      await write([row]);
      await manager.query('RELEASE SAVEPOINT mirror_record');
    } catch (error) {
      if (!isRecordDataError(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT mirror_record');
      rejected.push({ remoteId: row.remoteId, code: error.code });
    }
  }
  await manager.query('RELEASE SAVEPOINT mirror_batch');
  return rejected;
}

export interface MembershipPair {
  groupRemoteId: string;
  userRemoteId: string;
}

/**
 * Multi-row writes of the mirror, always inside the caller's transaction (the same one that enqueues the events
 * describing them). One statement per kind of change per page.
 */
export class MirrorWriteRepository {
  /** upsertUsers, isolating records the database refuses: they are not written and come back. */
  upsertUsersOrReject(manager: EntityManager, accountId: string, runId: string, users: readonly SyncedUserWrite[]): Promise<RejectedRecordWrite[]> {
    return writeIsolating(manager, users, (rows) => this.upsertUsers(manager, accountId, runId, rows));
  }

  upsertGroupsOrReject(manager: EntityManager, accountId: string, runId: string, groups: readonly SyncedGroupWrite[]): Promise<RejectedRecordWrite[]> {
    return writeIsolating(manager, groups, (rows) => this.upsertGroups(manager, accountId, runId, rows));
  }

  upsertEnrollmentsOrReject(
    manager: EntityManager,
    accountId: string,
    runId: string,
    enrollments: readonly SyncedEnrollmentWrite[],
  ): Promise<RejectedRecordWrite[]> {
    return writeIsolating(manager, enrollments, (rows) => this.upsertEnrollments(manager, accountId, runId, rows));
  }

  /** Rows created through SCIM that KnowBe4 no longer has (no Reporting id, so no memberships or enrollments). */
  async deleteGhostUsers(manager: EntityManager, accountId: string, seqs: readonly string[]): Promise<void> {
    if (seqs.length === 0) return;
    await manager.query(`DELETE FROM directory_users WHERE account_id = $1 AND seq = ANY($2::bigint[]) AND remote_id IS NULL`, [accountId, seqs]);
  }

  async upsertUsers(manager: EntityManager, accountId: string, runId: string, users: readonly SyncedUserWrite[]): Promise<void> {
    const updates = users.filter((user) => user.seq !== null);
    const inserts = users.filter((user) => user.seq === null);
    if (updates.length > 0) {
      await manager.query(
        `UPDATE directory_users u
            SET remote_id = v.remote_id, provisioning_guid = v.provisioning_guid, email_lower = v.email_lower,
                employee_number = v.employee_number, status = v.status, first_name = v.first_name, last_name = v.last_name,
                department = v.department, record = v.record, remote_data = v.remote_data, content_hash = v.content_hash,
                updated_at = COALESCE(v.updated_at, u.updated_at), last_seen_run_id = $2
           FROM jsonb_to_recordset($3::jsonb) AS v(seq bigint, remote_id bigint, provisioning_guid text, email_lower text,
                employee_number text, status text, first_name text, last_name text, department text, record jsonb,
                remote_data jsonb, content_hash text, updated_at timestamptz)
          WHERE u.seq = v.seq AND u.account_id = $1`,
        [accountId, runId, JSON.stringify(updates.map(userColumns))],
      );
    }
    if (inserts.length > 0) {
      await manager.query(
        `INSERT INTO directory_users (account_id, remote_id, provisioning_guid, email_lower, employee_number, status, first_name,
                last_name, department, record, remote_data, content_hash, created_at, updated_at, last_seen_run_id)
         SELECT $1, v.remote_id, v.provisioning_guid, v.email_lower, v.employee_number, v.status, v.first_name, v.last_name,
                v.department, v.record, v.remote_data, v.content_hash, v.created_at, COALESCE(v.updated_at, now()), $2
           FROM jsonb_to_recordset($3::jsonb) AS v(remote_id bigint, provisioning_guid text, email_lower text, employee_number text,
                status text, first_name text, last_name text, department text, record jsonb, remote_data jsonb, content_hash text,
                created_at timestamptz, updated_at timestamptz)
         ON CONFLICT (account_id, remote_id) WHERE remote_id IS NOT NULL DO UPDATE
            SET provisioning_guid = EXCLUDED.provisioning_guid, email_lower = EXCLUDED.email_lower,
                employee_number = EXCLUDED.employee_number, status = EXCLUDED.status, first_name = EXCLUDED.first_name,
                last_name = EXCLUDED.last_name, department = EXCLUDED.department, record = EXCLUDED.record,
                remote_data = EXCLUDED.remote_data, content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at,
                last_seen_run_id = EXCLUDED.last_seen_run_id`,
        [accountId, runId, JSON.stringify(inserts.map(userColumns))],
      );
    }
  }

  async deleteUsers(manager: EntityManager, accountId: string, remoteIds: readonly string[]): Promise<void> {
    if (remoteIds.length === 0) return;
    await manager.query(`DELETE FROM directory_group_members WHERE account_id = $1 AND user_remote_id = ANY($2::bigint[])`, [accountId, remoteIds]);
    await manager.query(`DELETE FROM directory_users WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`, [accountId, remoteIds]);
  }

  async upsertGroups(manager: EntityManager, accountId: string, runId: string, groups: readonly SyncedGroupWrite[]): Promise<void> {
    if (groups.length === 0) return;
    await manager.query(
      `INSERT INTO directory_groups (account_id, remote_id, name, record, remote_data, content_hash, created_at, updated_at, last_seen_run_id)
       SELECT $1, v.remote_id, v.name, v.record, v.remote_data, v.content_hash, v.created_at, COALESCE(v.updated_at, now()), $2
         FROM jsonb_to_recordset($3::jsonb) AS v(remote_id bigint, name text, record jsonb, remote_data jsonb, content_hash text,
              created_at timestamptz, updated_at timestamptz)
       ON CONFLICT (account_id, remote_id) WHERE remote_id IS NOT NULL DO UPDATE
          SET name = EXCLUDED.name, record = EXCLUDED.record, remote_data = EXCLUDED.remote_data, content_hash = EXCLUDED.content_hash,
              updated_at = CASE WHEN directory_groups.content_hash IS DISTINCT FROM EXCLUDED.content_hash
                                THEN EXCLUDED.updated_at ELSE directory_groups.updated_at END,
              last_seen_run_id = EXCLUDED.last_seen_run_id`,
      [
        accountId,
        runId,
        JSON.stringify(
          groups.map((g) => ({
            remote_id: g.remoteId,
            name: g.name,
            record: g.record,
            remote_data: g.remoteData,
            content_hash: g.contentHash,
            created_at: g.createdAt,
            updated_at: g.updatedAt,
          })),
        ),
      ],
    );
  }

  async deleteGroups(manager: EntityManager, accountId: string, remoteIds: readonly string[]): Promise<void> {
    if (remoteIds.length === 0) return;
    await manager.query(`DELETE FROM directory_group_members WHERE account_id = $1 AND group_remote_id = ANY($2::bigint[])`, [accountId, remoteIds]);
    await manager.query(`DELETE FROM directory_groups WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`, [accountId, remoteIds]);
  }

  async addMemberships(manager: EntityManager, accountId: string, runId: string, pairs: readonly MembershipPair[]): Promise<void> {
    if (pairs.length === 0) return;
    await manager.query(
      `INSERT INTO directory_group_members (account_id, group_remote_id, user_remote_id, last_seen_run_id)
       SELECT $1, g, u, $2 FROM unnest($3::bigint[], $4::bigint[]) AS x(g, u)
       ON CONFLICT DO NOTHING`,
      [accountId, runId, pairs.map((p) => p.groupRemoteId), pairs.map((p) => p.userRemoteId)],
    );
  }

  async removeMemberships(manager: EntityManager, accountId: string, pairs: readonly MembershipPair[]): Promise<void> {
    if (pairs.length === 0) return;
    await manager.query(
      `DELETE FROM directory_group_members m USING unnest($2::bigint[], $3::bigint[]) AS x(g, u)
        WHERE m.account_id = $1 AND m.group_remote_id = x.g AND m.user_remote_id = x.u`,
      [accountId, pairs.map((p) => p.groupRemoteId), pairs.map((p) => p.userRemoteId)],
    );
  }

  async upsertEnrollments(manager: EntityManager, accountId: string, runId: string, enrollments: readonly SyncedEnrollmentWrite[]): Promise<void> {
    if (enrollments.length === 0) return;
    await manager.query(
      `INSERT INTO directory_enrollments (account_id, remote_id, user_remote_id, content_hash, record, updated_at, last_seen_run_id)
       SELECT $1, v.remote_id, v.user_remote_id, v.content_hash, v.record, v.updated_at, $2
         FROM jsonb_to_recordset($3::jsonb) AS v(remote_id bigint, user_remote_id bigint, content_hash text, record jsonb, updated_at timestamptz)
       ON CONFLICT (account_id, remote_id) DO UPDATE
          SET user_remote_id = EXCLUDED.user_remote_id, content_hash = EXCLUDED.content_hash, record = EXCLUDED.record,
              updated_at = EXCLUDED.updated_at, last_seen_run_id = EXCLUDED.last_seen_run_id`,
      [
        accountId,
        runId,
        JSON.stringify(
          enrollments.map((e) => ({
            remote_id: e.remoteId,
            user_remote_id: e.userRemoteId,
            content_hash: e.contentHash,
            record: e.record,
            updated_at: e.updatedAt,
          })),
        ),
      ],
    );
  }

  async deleteEnrollments(manager: EntityManager, accountId: string, remoteIds: readonly string[]): Promise<void> {
    if (remoteIds.length === 0) return;
    await manager.query(`DELETE FROM directory_enrollments WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`, [accountId, remoteIds]);
  }
}

function userColumns(user: SyncedUserWrite): Record<string, unknown> {
  return {
    seq: user.seq,
    remote_id: user.remoteId,
    provisioning_guid: user.provisioningGuid,
    email_lower: user.emailLower,
    employee_number: user.employeeNumber,
    status: user.status,
    first_name: user.firstName,
    last_name: user.lastName,
    department: user.department,
    record: user.record,
    remote_data: user.remoteData,
    content_hash: user.contentHash,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
