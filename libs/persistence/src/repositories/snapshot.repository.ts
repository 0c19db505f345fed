import { DataSource } from 'typeorm';

/** What the diff needs of a mirror user that may have changed. */
export interface SnapshotUser {
  seq: string;
  remoteId: string | null;
  contentHash: string;
  record: Record<string, unknown>;
  createdAt: Date;
  provisioningGuid: string | null;
  emailLower: string | null;
}

export interface SnapshotGroup {
  seq: string;
  remoteId: string;
  contentHash: string;
  record: Record<string, unknown>;
  createdAt: Date;
}

export interface SnapshotEnrollment {
  remoteId: string;
  contentHash: string;
  record: Record<string, unknown>;
  userRemoteId: string | null;
}

export type SeenPhase = 'groups' | 'users' | 'enrollments';

/** A mirror row created through SCIM that no sync has matched to a Reporting user (`remote_id` null). */
// A ghost candidate: a row created through SCIM that no Reporting record matched, untouched for the grace period ($2).
const GHOST_CONDITION = `account_id = $1 AND remote_id IS NULL AND scim_id IS NOT NULL AND updated_at < now() - make_interval(secs => $2)`;

export interface GhostCandidate {
  seq: string;
  scimId: string;
  contentHash: string;
  record: Record<string, unknown>;
}

/**
 * Read side of the snapshot the poller diffs against (the mirror tables). Every method loads one page's worth
 * of rows by key, so a sync never holds the whole directory in memory.
 */
export class SnapshotRepository {
  constructor(private readonly dataSource: DataSource) {}

  async usersByRemoteId(accountId: string, remoteIds: readonly string[]): Promise<Map<string, SnapshotUser>> {
    if (remoteIds.length === 0) return new Map();
    const rows: UserRow[] = await this.dataSource.query(`${USER_SELECT} WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`, [
      accountId,
      remoteIds,
    ]);
    return new Map(rows.map((row) => [String(row.remote_id), toSnapshotUser(row)]));
  }

  /** Rows created through SCIM that no sync has seen yet (remote_id null), matched by provisioning GUID or email. */
  async unmatchedUsersByIdentity(accountId: string, guids: readonly string[], emailsLower: readonly string[]): Promise<SnapshotUser[]> {
    if (guids.length === 0 && emailsLower.length === 0) return [];
    const rows: UserRow[] = await this.dataSource.query(
      `${USER_SELECT} WHERE account_id = $1 AND remote_id IS NULL AND (provisioning_guid = ANY($2::text[]) OR email_lower = ANY($3::text[]))`,
      [accountId, guids, emailsLower],
    );
    return rows.map(toSnapshotUser);
  }

  /** Current group memberships of some users, as group ids per user id. */
  async groupIdsOfUsers(accountId: string, userRemoteIds: readonly string[]): Promise<Map<string, string[]>> {
    if (userRemoteIds.length === 0) return new Map();
    const rows: Array<{ user_remote_id: string; groups: string[] }> = await this.dataSource.query(
      `SELECT user_remote_id, array_agg(group_remote_id::text ORDER BY group_remote_id) AS groups
         FROM directory_group_members WHERE account_id = $1 AND user_remote_id = ANY($2::bigint[]) GROUP BY user_remote_id`,
      [accountId, userRemoteIds],
    );
    return new Map(rows.map((row) => [String(row.user_remote_id), row.groups]));
  }

  async groupsByRemoteId(accountId: string, remoteIds: readonly string[]): Promise<Map<string, SnapshotGroup>> {
    if (remoteIds.length === 0) return new Map();
    const rows: GroupRow[] = await this.dataSource.query(
      `SELECT seq, remote_id, content_hash, record, created_at FROM directory_groups WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`,
      [accountId, remoteIds],
    );
    return new Map(rows.map((row) => [String(row.remote_id), toSnapshotGroup(row)]));
  }

  /**
   * Groups our own SCIM creates put in the mirror that no sync has listed yet (no Reporting id), by name: when KnowBe4
   * first lists one, the sync's `group.created` is not a new change to audit (the create was audited already).
   */
  async provisionedGroupsByName(accountId: string, names: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    if (names.length === 0) return new Map();
    const rows: Array<{ name: string; record: Record<string, unknown> }> = await this.dataSource.query(
      `SELECT name, record FROM directory_groups WHERE account_id = $1 AND remote_id IS NULL AND name = ANY($2::text[])`,
      [accountId, names],
    );
    return new Map(rows.map((row) => [row.name, row.record]));
  }

  /** Group names by id; an account has tens to hundreds of groups, so this one is loaded whole. */
  async groupNames(accountId: string): Promise<Map<string, string>> {
    const rows: Array<{ remote_id: string; name: string }> = await this.dataSource.query(
      `SELECT remote_id, name FROM directory_groups WHERE account_id = $1 AND remote_id IS NOT NULL`,
      [accountId],
    );
    return new Map(rows.map((row) => [String(row.remote_id), row.name]));
  }

  async enrollmentsByRemoteId(accountId: string, remoteIds: readonly string[]): Promise<Map<string, SnapshotEnrollment>> {
    if (remoteIds.length === 0) return new Map();
    const rows: Array<{ remote_id: string; content_hash: string; record: Record<string, unknown>; user_remote_id: string | null }> =
      await this.dataSource.query(
        `SELECT remote_id, content_hash, record, user_remote_id FROM directory_enrollments WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`,
        [accountId, remoteIds],
      );
    return new Map(
      rows.map((row) => [
        String(row.remote_id),
        { remoteId: String(row.remote_id), contentHash: row.content_hash, record: row.record, userRemoteId: row.user_remote_id },
      ]),
    );
  }

  /** Which of these user ids exist in the mirror (enrollments may point at users that are gone). */
  async existingUserIds(accountId: string, remoteIds: readonly string[]): Promise<Set<string>> {
    if (remoteIds.length === 0) return new Set();
    const rows: Array<{ remote_id: string }> = await this.dataSource.query(
      `SELECT remote_id FROM directory_users WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`,
      [accountId, remoteIds],
    );
    return new Set(rows.map((row) => String(row.remote_id)));
  }

  /** Enrollments the mirror holds for an account (the list's size when it was last read; sizes its request plan). */
  async countEnrollments(accountId: string): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM directory_enrollments WHERE account_id = $1`, [accountId]);
    return row?.n ?? 0;
  }

  async countUsers(accountId: string): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM directory_users WHERE account_id = $1 AND remote_id IS NOT NULL`, [
      accountId,
    ]);
    return row?.n ?? 0;
  }

  /** Users with a remote id that no page of this run saw, in batches (after a complete run they are gone). */
  async unseenUsers(accountId: string, runId: string, limit: number): Promise<SnapshotUser[]> {
    const rows: UserRow[] = await this.dataSource.query(
      `${USER_SELECT} WHERE account_id = $1 AND remote_id IS NOT NULL
          AND remote_id NOT IN (SELECT unnest(remote_ids) FROM sync_run_pages WHERE run_id = $2 AND phase = 'users')
        ORDER BY seq LIMIT $3`,
      [accountId, runId, limit],
    );
    return rows.map(toSnapshotUser);
  }

  /**
   * Rows with a SCIM id and no Reporting id, untouched for `graceSeconds` (the Reporting API may lag behind SCIM),
   * in seq order within `(afterSeq, untilSeq]`: a complete run that still has not matched them asks SCIM whether
   * they exist.
   */
  async ghostCandidates(accountId: string, graceSeconds: number, range: { afterSeq: string; untilSeq?: string }, limit: number): Promise<GhostCandidate[]> {
    const rows: Array<{ seq: string; scim_id: string; content_hash: string; record: Record<string, unknown> }> = await this.dataSource.query(
      `SELECT seq, scim_id, content_hash, record FROM directory_users
        WHERE ${GHOST_CONDITION} AND seq > $3::bigint AND ($4::bigint IS NULL OR seq <= $4::bigint)
        ORDER BY seq LIMIT $5`,
      [accountId, graceSeconds, range.afterSeq, range.untilSeq ?? null, limit],
    );
    return rows.map((row) => ({ seq: String(row.seq), scimId: row.scim_id, contentHash: row.content_hash, record: row.record }));
  }

  /**
   * Where this run's ghost check starts: just before a random candidate, so a run that can ask about only some of
   * them does not ask about the same ones every time (the check wraps around to the start).
   */
  async ghostScanStart(accountId: string, graceSeconds: number): Promise<string> {
    const [row]: Array<{ seq: string }> = await this.dataSource.query(
      `SELECT seq FROM directory_users WHERE ${GHOST_CONDITION} ORDER BY random() LIMIT 1`,
      [accountId, graceSeconds],
    );
    return row ? String(BigInt(row.seq) - 1n) : '0';
  }

  async unseenGroups(accountId: string, runId: string, limit: number): Promise<SnapshotGroup[]> {
    const rows: GroupRow[] = await this.dataSource.query(
      `SELECT seq, remote_id, content_hash, record, created_at FROM directory_groups WHERE account_id = $1 AND remote_id IS NOT NULL
          AND remote_id NOT IN (SELECT unnest(remote_ids) FROM sync_run_pages WHERE run_id = $2 AND phase = 'groups')
        ORDER BY seq LIMIT $3`,
      [accountId, runId, limit],
    );
    return rows.map(toSnapshotGroup);
  }

  /** The stored enrollments of some users (removed with them when they are deleted). */
  async enrollmentsOfUsers(accountId: string, userRemoteIds: readonly string[]): Promise<SnapshotEnrollment[]> {
    if (userRemoteIds.length === 0) return [];
    const rows: EnrollmentRow[] = await this.dataSource.query(
      `SELECT remote_id, content_hash, record, user_remote_id FROM directory_enrollments
        WHERE account_id = $1 AND user_remote_id = ANY($2::bigint[]) ORDER BY remote_id`,
      [accountId, userRemoteIds],
    );
    return rows.map(toSnapshotEnrollment);
  }

  /** Enrollments no page of this run saw, with their last record (a removed enrollment is reported). */
  async unseenEnrollments(accountId: string, runId: string, limit: number): Promise<SnapshotEnrollment[]> {
    const rows: EnrollmentRow[] = await this.dataSource.query(
      `SELECT remote_id, content_hash, record, user_remote_id FROM directory_enrollments WHERE account_id = $1
          AND remote_id NOT IN (SELECT unnest(remote_ids) FROM sync_run_pages WHERE run_id = $2 AND phase = 'enrollments')
        ORDER BY remote_id LIMIT $3`,
      [accountId, runId, limit],
    );
    return rows.map(toSnapshotEnrollment);
  }

  /**
   * One range of a walk's seen check (see the poller's SeenCoverage): whether a mirror row with a remote id above
   * `afterId`, up to the largest id on this run's seen `pages` of `phase`, is missing from those pages; and that
   * largest id (`afterId` when larger), where the next range starts. An index range, not a scan of the mirror.
   */
  async unseenInRange(accountId: string, runId: string, phase: CoveredPhase, afterId: string, pages: readonly number[]): Promise<{ upTo: string; unseen: boolean }> {
    const [row]: Array<{ up_to: string; unseen: boolean }> = await this.dataSource.query(
      `WITH seen AS MATERIALIZED (SELECT unnest(remote_ids) AS id FROM sync_run_pages WHERE run_id = $2 AND phase = $3 AND page = ANY($5::int[])),
            bound AS (SELECT greatest($4::bigint, (SELECT max(id) FROM seen)) AS up_to)
       SELECT (SELECT up_to FROM bound)::text AS up_to,
              EXISTS (SELECT 1 FROM ${COVERED_TABLE[phase]} m
                       WHERE m.account_id = $1 AND m.remote_id IS NOT NULL AND m.remote_id > $4::bigint AND m.remote_id <= (SELECT up_to FROM bound)
                         AND m.remote_id NOT IN (SELECT id FROM seen)) AS unseen`,
      [accountId, runId, phase, afterId, pages],
    );
    return { upTo: row.up_to, unseen: row.unseen };
  }

  /** Whether the mirror holds a row of `phase` with a remote id above `afterId` (the end of a walk's seen check). */
  async anyRemoteIdAbove(accountId: string, phase: CoveredPhase, afterId: string): Promise<boolean> {
    const [row]: Array<{ above: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM ${COVERED_TABLE[phase]} WHERE account_id = $1 AND remote_id IS NOT NULL AND remote_id > $2::bigint) AS above`,
      [accountId, afterId],
    );
    return row.above;
  }
}

/** The lists whose unseen rows a run sweeps after reading them whole, and their mirror tables. */
export type CoveredPhase = 'users' | 'enrollments';
const COVERED_TABLE: Record<CoveredPhase, string> = { users: 'directory_users', enrollments: 'directory_enrollments' };

const USER_SELECT = `SELECT seq, remote_id, content_hash, record, created_at, provisioning_guid, email_lower FROM directory_users`;

interface UserRow {
  seq: string;
  remote_id: string | null;
  content_hash: string;
  record: Record<string, unknown>;
  created_at: Date;
  provisioning_guid: string | null;
  email_lower: string | null;
}

interface GroupRow {
  seq: string;
  remote_id: string;
  content_hash: string;
  record: Record<string, unknown>;
  created_at: Date;
}

interface EnrollmentRow {
  remote_id: string;
  content_hash: string;
  record: Record<string, unknown>;
  user_remote_id: string | null;
}

function toSnapshotEnrollment(row: EnrollmentRow): SnapshotEnrollment {
  return {
    remoteId: String(row.remote_id),
    contentHash: row.content_hash,
    record: row.record,
    userRemoteId: row.user_remote_id === null ? null : String(row.user_remote_id),
  };
}

function toSnapshotUser(row: UserRow): SnapshotUser {
  return {
    seq: row.seq,
    remoteId: row.remote_id === null ? null : String(row.remote_id),
    contentHash: row.content_hash,
    record: row.record,
    createdAt: row.created_at,
    provisioningGuid: row.provisioning_guid,
    emailLower: row.email_lower,
  };
}

function toSnapshotGroup(row: GroupRow): SnapshotGroup {
  return { seq: row.seq, remoteId: String(row.remote_id), contentHash: row.content_hash, record: row.record, createdAt: row.created_at };
}
