import { DataSource, EntityManager } from 'typeorm';

/** A mirrored user as the write path needs it: its ids on both KnowBe4 surfaces and its current record. */
export interface MirrorUserRow {
  seq: string;
  remoteId: string | null;
  scimId: string | null;
  provisioningGuid: string | null;
  emailLower: string | null;
  status: 'active' | 'inactive';
  record: Record<string, unknown>;
  remoteData: Record<string, unknown> | null;
  contentHash: string;
}

export interface MirrorGroupRow {
  seq: string;
  remoteId: string | null;
  scimId: string | null;
  name: string;
  record: Record<string, unknown>;
}

/** The columns a provisioning write sets on a mirrored user. */
export interface MirrorUserWrite {
  scimId: string;
  provisioningGuid: string | null;
  emailLower: string;
  employeeNumber: string | null;
  status: 'active' | 'inactive';
  firstName: string | null;
  lastName: string | null;
  department: string | null;
  record: Record<string, unknown>;
  contentHash: string;
}

export interface MirrorGroupWrite {
  scimId: string;
  name: string;
  record: Record<string, unknown>;
  contentHash: string;
}

type Queryable = Pick<EntityManager, 'query'>;

/** How a SCIM user finds its mirror row: SCIM id, else provisioning_guid, else lower-cased email. */
export interface UserMirrorKeys {
  scimId: string;
  provisioningGuid: string | null;
  emailLower: string;
}

/**
 * `INSERT … RETURNING seq` of a mirrored user that no row matches yet (the match of lockUserForRefresh), as a CTE
 * for a larger statement; parameters start at `$first` (14 of them, see unmatchedUserInsertParameters); `onlyIf` is a
 * SQL condition that must hold for the row to be inserted. Each way of matching is its own probe of its own index:
 * one OR over the three let a generic plan scan the account's rows.
 */
export function unmatchedUserInsertSql(first: number, onlyIf?: string): string {
  const p = (i: number): string => `$${first + i}`;
  return `INSERT INTO directory_users (account_id, scim_id, provisioning_guid, email_lower, employee_number, status,
         first_name, last_name, department, record, content_hash)
       SELECT ${p(0)}::uuid, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}::jsonb, ${p(10)}
        WHERE NOT EXISTS (SELECT 1 FROM directory_users WHERE account_id = ${p(0)}::uuid AND scim_id = ${p(11)})
          AND NOT (${p(12)}::text IS NOT NULL
                   AND EXISTS (SELECT 1 FROM directory_users WHERE account_id = ${p(0)}::uuid AND provisioning_guid = ${p(12)}))
          AND NOT EXISTS (
            SELECT 1 FROM directory_users
             WHERE account_id = ${p(0)}::uuid AND email_lower = ${p(13)} AND (scim_id IS NULL OR scim_id = ${p(11)}))${onlyIf ? `
          AND ${onlyIf}` : ''}
       ON CONFLICT (account_id, scim_id) WHERE scim_id IS NOT NULL DO NOTHING
       RETURNING seq`;
}

/** $1–$11 of every mirror user write: the account, then the columns a SCIM answer sets. */
function userWriteValues(accountId: string, write: MirrorUserWrite): unknown[] {
  return [
    accountId,
    write.scimId,
    write.provisioningGuid,
    write.emailLower,
    write.employeeNumber,
    write.status,
    write.firstName,
    write.lastName,
    write.department,
    JSON.stringify(write.record),
    write.contentHash,
  ];
}

export function unmatchedUserInsertParameters(accountId: string, keys: UserMirrorKeys, write: MirrorUserWrite): unknown[] {
  return [...userWriteValues(accountId, write), keys.scimId, keys.provisioningGuid, keys.emailLower];
}

const USER_COLUMNS = `seq::text AS seq, remote_id::text AS "remoteId", scim_id AS "scimId", provisioning_guid AS "provisioningGuid",
  email_lower AS "emailLower", status, record, remote_data AS "remoteData", content_hash AS "contentHash"`;
const GROUP_COLUMNS = `seq::text AS seq, remote_id::text AS "remoteId", scim_id AS "scimId", name, record`;

/** A unified id is the Reporting id (digits); anything else can only be a SCIM id. */
function asRemoteId(id: string): string | null {
  return /^\d{1,18}$/.test(id) ? id : null;
}

/**
 * The write path's view of the directory mirror (directory_users / directory_groups / directory_group_members):
 * resolving the ids a caller used, and refreshing a row right after KnowBe4 accepted a SCIM write so that a
 * read right after success shows the change. Rows follow design.md "Identity": joined on provisioning_guid,
 * otherwise on the lower-cased email; a user created through SCIM has no remote_id until a sync sees it.
 */
export class OperationMirrorRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A user of the account by unified (Reporting) id or SCIM id. */
  async findUser(accountId: string, id: string, db: Queryable = this.dataSource): Promise<MirrorUserRow | null> {
    const rows: MirrorUserRow[] = await db.query(
      `SELECT ${USER_COLUMNS} FROM directory_users
       WHERE account_id = $1 AND (scim_id = $2 OR ($3::bigint IS NOT NULL AND remote_id = $3::bigint))
       ORDER BY (scim_id = $2) DESC NULLS LAST LIMIT 1`,
      [accountId, id, asRemoteId(id)],
    );
    return rows[0] ?? null;
  }

  /** A group of the account by unified (Reporting) id or SCIM id. */
  async findGroup(accountId: string, id: string, db: Queryable = this.dataSource): Promise<MirrorGroupRow | null> {
    const rows: MirrorGroupRow[] = await db.query(
      `SELECT ${GROUP_COLUMNS} FROM directory_groups
       WHERE account_id = $1 AND (scim_id = $2 OR ($3::bigint IS NOT NULL AND remote_id = $3::bigint))
       ORDER BY (scim_id = $2) DESC NULLS LAST LIMIT 1`,
      [accountId, id, asRemoteId(id)],
    );
    return rows[0] ?? null;
  }

  /** Another group of the account with this name (case-insensitive; KnowBe4 console group names are unique). */
  async findGroupByName(accountId: string, name: string, db: Queryable = this.dataSource): Promise<MirrorGroupRow | null> {
    const rows: MirrorGroupRow[] = await db.query(
      `SELECT ${GROUP_COLUMNS} FROM directory_groups WHERE account_id = $1 AND lower(name) = lower($2) ORDER BY seq LIMIT 1`,
      [accountId, name],
    );
    return rows[0] ?? null;
  }

  /**
   * The row a SCIM user belongs to, locked for the refresh: by SCIM id, else provisioning_guid, else the
   * lower-cased email of a row not yet tied to another SCIM id.
   */
  async lockUserForRefresh(
    manager: EntityManager,
    accountId: string,
    keys: UserMirrorKeys,
  ): Promise<MirrorUserRow | null> {
    const rows: MirrorUserRow[] = await manager.query(
      `SELECT ${USER_COLUMNS} FROM directory_users
       WHERE account_id = $1 AND (
         scim_id = $2
         OR ($3::text IS NOT NULL AND provisioning_guid = $3)
         OR (email_lower = $4 AND (scim_id IS NULL OR scim_id = $2)))
       ORDER BY (scim_id = $2) DESC NULLS LAST, ($3::text IS NOT NULL AND provisioning_guid = $3) DESC, remote_id NULLS LAST, seq
       LIMIT 1
       FOR UPDATE`,
      [accountId, keys.scimId, keys.provisioningGuid, keys.emailLower],
    );
    return rows[0] ?? null;
  }

  /** Updates the locked row, or inserts one for a user no sync has seen yet (remote_id null). */
  async saveUser(manager: EntityManager, accountId: string, existing: MirrorUserRow | null, write: MirrorUserWrite): Promise<MirrorUserRow> {
    const values = userWriteValues(accountId, write);
    if (existing) {
      const [rows]: [MirrorUserRow[], number] = await manager.query(
        `UPDATE directory_users SET scim_id = $2, provisioning_guid = COALESCE($3, provisioning_guid), email_lower = $4,
           employee_number = $5, status = $6, first_name = $7, last_name = $8, department = $9, record = $10,
           content_hash = $11, updated_at = now()
         WHERE account_id = $1 AND seq = $12
         RETURNING ${USER_COLUMNS}`,
        [...values, existing.seq],
      );
      return rows[0];
    }
    const rows: MirrorUserRow[] = await manager.query(
      `INSERT INTO directory_users (account_id, scim_id, provisioning_guid, email_lower, employee_number, status,
         first_name, last_name, department, record, content_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (account_id, scim_id) WHERE scim_id IS NOT NULL DO UPDATE SET
         provisioning_guid = COALESCE(EXCLUDED.provisioning_guid, directory_users.provisioning_guid),
         email_lower = EXCLUDED.email_lower, employee_number = EXCLUDED.employee_number, status = EXCLUDED.status,
         first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, department = EXCLUDED.department,
         record = EXCLUDED.record, content_hash = EXCLUDED.content_hash, updated_at = now()
       RETURNING ${USER_COLUMNS}`,
      values,
    );
    return rows[0];
  }

  /** The row of a SCIM group, locked: by SCIM id, else by name among rows not tied to another SCIM id. */
  async lockGroupForRefresh(manager: EntityManager, accountId: string, keys: { scimId: string; name: string }): Promise<MirrorGroupRow | null> {
    const rows: MirrorGroupRow[] = await manager.query(
      `SELECT ${GROUP_COLUMNS} FROM directory_groups
       WHERE account_id = $1 AND (scim_id = $2 OR (lower(name) = lower($3) AND scim_id IS NULL))
       ORDER BY (scim_id = $2) DESC NULLS LAST, remote_id NULLS LAST, seq
       LIMIT 1
       FOR UPDATE`,
      [accountId, keys.scimId, keys.name],
    );
    return rows[0] ?? null;
  }

  async saveGroup(manager: EntityManager, accountId: string, existing: MirrorGroupRow | null, write: MirrorGroupWrite): Promise<MirrorGroupRow> {
    if (existing) {
      const [rows]: [MirrorGroupRow[], number] = await manager.query(
        `UPDATE directory_groups SET scim_id = $2, name = $3, record = $4, content_hash = $5, updated_at = now()
         WHERE account_id = $1 AND seq = $6 RETURNING ${GROUP_COLUMNS}`,
        [accountId, write.scimId, write.name, JSON.stringify(write.record), write.contentHash, existing.seq],
      );
      return rows[0];
    }
    const rows: MirrorGroupRow[] = await manager.query(
      `INSERT INTO directory_groups (account_id, scim_id, name, record, content_hash)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_id, scim_id) WHERE scim_id IS NOT NULL DO UPDATE SET
         name = EXCLUDED.name, record = EXCLUDED.record, content_hash = EXCLUDED.content_hash, updated_at = now()
       RETURNING ${GROUP_COLUMNS}`,
      [accountId, write.scimId, write.name, JSON.stringify(write.record), write.contentHash],
    );
    return rows[0];
  }

  /** Removes a group KnowBe4 deleted through SCIM, with its membership rows, so a read right after shows it gone. */
  async deleteGroup(manager: EntityManager, accountId: string, group: Pick<MirrorGroupRow, 'seq' | 'remoteId'>): Promise<void> {
    if (group.remoteId) {
      await manager.query(`DELETE FROM directory_group_members WHERE account_id = $1 AND group_remote_id = $2`, [accountId, group.remoteId]);
    }
    await manager.query(`DELETE FROM directory_groups WHERE account_id = $1 AND seq = $2`, [accountId, group.seq]);
  }

  /** Membership rows use Reporting ids on both sides, so only pairs a sync has already seen can be written. */
  /**
   * Keeps a user's `record.groups` in step with a membership the provisioner just wrote (the membership table joins
   * Reporting ids only, so a user no sync has seen yet would otherwise show, and be planned against, stale groups).
   * The group is matched by any of its ids or its name; `member` appends it once, otherwise it is removed.
   */
  async setUserRecordGroup(manager: EntityManager, userSeq: string, group: { id: string; ids: string[]; name: string }, member: boolean): Promise<void> {
    await manager.query(
      `UPDATE directory_users SET updated_at = now(), record = jsonb_set(record, '{groups}',
         coalesce((SELECT jsonb_agg(g) FROM jsonb_array_elements(CASE WHEN jsonb_typeof(record->'groups') = 'array' THEN record->'groups' ELSE '[]'::jsonb END) g
                    WHERE NOT (g->>'id' = ANY($2::text[]) OR lower(g->>'name') = lower($4))), '[]'::jsonb)
         || CASE WHEN $5 THEN jsonb_build_array(jsonb_build_object('id', $3::text, 'name', $4::text)) ELSE '[]'::jsonb END)
        WHERE seq = $1`,
      [userSeq, group.ids, group.id, group.name, member],
    );
  }

  async setMembership(manager: EntityManager, accountId: string, groupRemoteId: string, userRemoteId: string, member: boolean): Promise<void> {
    if (member) {
      await manager.query(
        `INSERT INTO directory_group_members (account_id, group_remote_id, user_remote_id) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, group_remote_id, user_remote_id) DO NOTHING`,
        [accountId, groupRemoteId, userRemoteId],
      );
    } else {
      await manager.query(
        `DELETE FROM directory_group_members WHERE account_id = $1 AND group_remote_id = $2 AND user_remote_id = $3`,
        [accountId, groupRemoteId, userRemoteId],
      );
    }
  }
}
