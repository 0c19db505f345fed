import { DataSource } from 'typeorm';

/** One validated roster row, staged while its run is planned. */
export interface StagedRosterRow {
  line: number;
  emailLower: string;
  employeeNumber: string | null;
  user: Record<string, unknown>;
  groups: string[];
}

/** Two or more rows of one roster sharing a key (email or employee number). */
export interface DuplicateRosterKey {
  field: 'email' | 'employee_number';
  value: string;
  lines: number[];
}

export interface RosterGroupRow {
  seq: string;
  remoteId: string | null;
  scimId: string | null;
  name: string;
  type: unknown;
}

/** A mirror user as the roster planner reads it. */
export interface RosterMirrorRow {
  seq: string;
  id: string;
  userName: string;
  scimId: string | null;
  status: 'active' | 'inactive';
  record: Record<string, unknown>;
}

export interface MatchedRosterRow {
  line: number;
  user: Record<string, unknown>;
  groups: string[];
  mirror: RosterMirrorRow | null;
}

const MIRROR_USER_COLUMNS = `u.seq, coalesce(u.remote_id::text, u.scim_id) AS id, coalesce(u.email_lower, lower(u.record->>'username')) AS "userName",
  u.scim_id AS "scimId", u.status, u.record`;

/**
 * The set-based half of roster planning: rows of an upload are staged (streamed in batches, never whole in memory),
 * checked for duplicates and matched against the mirror in SQL; the planner then pages through them by line.
 */
export class RosterPlanRepository {
  constructor(private readonly dataSource: DataSource) {}

  async stageRows(runId: string, rows: readonly StagedRosterRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO roster_rows (run_id, line, email_lower, employee_number, user_write, groups)
       SELECT $1, r.line, r.email_lower, r.employee_number, r.user_write, ARRAY(SELECT jsonb_array_elements_text(r.groups))
         FROM jsonb_to_recordset($2::jsonb) AS r(line integer, email_lower text, employee_number text, user_write jsonb, groups jsonb)`,
      [
        runId,
        JSON.stringify(rows.map((row) => ({ line: row.line, email_lower: row.emailLower, employee_number: row.employeeNumber, user_write: row.user, groups: row.groups }))),
      ],
    );
  }

  /** Emails and employee numbers used by more than one row, each with every line that uses it. */
  async duplicateKeys(runId: string, limit: number): Promise<DuplicateRosterKey[]> {
    const rows: Array<{ field: 'email' | 'employee_number'; value: string; lines: number[] }> = await this.dataSource.query(
      `(SELECT 'email' AS field, email_lower AS value, array_agg(line ORDER BY line) AS lines, min(line) AS first
          FROM roster_rows WHERE run_id = $1 GROUP BY email_lower HAVING count(*) > 1)
       UNION ALL
       (SELECT 'employee_number', employee_number, array_agg(line ORDER BY line), min(line)
          FROM roster_rows WHERE run_id = $1 AND employee_number IS NOT NULL GROUP BY employee_number HAVING count(*) > 1)
       ORDER BY first LIMIT $2`,
      [runId, limit],
    );
    return rows.map((row) => ({ field: row.field, value: row.value, lines: row.lines }));
  }

  /** The groups the roster names (lower-cased), each with the first line naming it. */
  async namedGroups(runId: string): Promise<Array<{ name: string; line: number }>> {
    return this.dataSource.query(
      `SELECT lower(g) AS name, min(line) AS line FROM roster_rows, unnest(groups) AS g WHERE run_id = $1 GROUP BY lower(g) ORDER BY lower(g)`,
      [runId],
    );
  }

  /** Mirror groups by lower-cased name (the lowest seq wins a tie; KnowBe4 names are unique). */
  async groupsByName(accountId: string, lowerNames: readonly string[]): Promise<Map<string, RosterGroupRow>> {
    const rows: RosterGroupRow[] = await this.dataSource.query(
      `SELECT DISTINCT ON (lower(name)) seq, remote_id::text AS "remoteId", scim_id AS "scimId", name, record->'type' AS type
         FROM directory_groups WHERE account_id = $1 AND lower(name) = ANY($2::text[]) ORDER BY lower(name), seq`,
      [accountId, lowerNames],
    );
    return new Map(rows.map((row) => [row.name.toLowerCase(), row]));
  }

  /**
   * Matches every staged row to a mirror user: employee number first, then email (case-insensitive); active users win
   * ties, then the oldest row. Two set-based passes (hash joins), not a lookup per row.
   */
  async matchRows(runId: string, accountId: string): Promise<void> {
    // the staged rows are new: statistics first, so the joins below are planned for their size
    await this.dataSource.query(`ANALYZE roster_rows`);
    await this.dataSource.query(
      `UPDATE roster_rows r SET matched_seq = m.seq
         FROM (SELECT DISTINCT ON (x.line) x.line, u.seq FROM roster_rows x
                 JOIN directory_users u ON u.account_id = $2 AND u.employee_number = x.employee_number
                WHERE x.run_id = $1 AND x.employee_number IS NOT NULL
                ORDER BY x.line, (u.status = 'active') DESC, u.seq) m
        WHERE r.run_id = $1 AND r.line = m.line`,
      [runId, accountId],
    );
    await this.dataSource.query(
      `UPDATE roster_rows r SET matched_seq = m.seq
         FROM (SELECT DISTINCT ON (x.line) x.line, u.seq FROM roster_rows x
                 JOIN directory_users u ON u.account_id = $2 AND u.email_lower = x.email_lower
                WHERE x.run_id = $1 AND x.matched_seq IS NULL
                ORDER BY x.line, (u.status = 'active') DESC, u.seq) m
        WHERE r.run_id = $1 AND r.line = m.line`,
      [runId, accountId],
    );
  }

  /** Mirror users two or more rows matched (one by employee number, another by email), with those lines. */
  async sharedMatches(runId: string, limit: number): Promise<Array<{ email: string; lines: number[] }>> {
    return this.dataSource.query(
      `SELECT min(r.email_lower) AS email, array_agg(r.line ORDER BY r.line) AS lines FROM roster_rows r
        WHERE r.run_id = $1 AND r.matched_seq IS NOT NULL GROUP BY r.matched_seq HAVING count(*) > 1 ORDER BY min(r.line) LIMIT $2`,
      [runId, limit],
    );
  }

  /** Staged rows after `afterLine`, in line order, each with its matched mirror user. */
  async matchedPage(runId: string, afterLine: number, limit: number): Promise<MatchedRosterRow[]> {
    const rows: Array<{ line: number; user_write: Record<string, unknown>; groups: string[] } & Partial<RosterMirrorRow> & { seq: string | null }> =
      await this.dataSource.query(
        `SELECT r.line, r.user_write, r.groups, ${MIRROR_USER_COLUMNS}
           FROM (SELECT * FROM roster_rows WHERE run_id = $1 AND line > $2 ORDER BY line LIMIT $3) r
           LEFT JOIN LATERAL (SELECT * FROM directory_users d WHERE d.seq = r.matched_seq) u ON true
          ORDER BY r.line`,
        [runId, afterLine, limit],
      );
    return rows.map((row) => ({
      line: row.line,
      user: row.user_write,
      groups: row.groups,
      mirror: row.seq === null ? null : { seq: row.seq, id: row.id!, userName: row.userName!, scimId: row.scimId ?? null, status: row.status!, record: row.record! },
    }));
  }

  /** Active mirror users no row of the run matched, after `afterSeq` in seq order: the archive candidates. */
  async unmatchedActivePage(runId: string, accountId: string, afterSeq: string, limit: number): Promise<RosterMirrorRow[]> {
    return this.dataSource.query(
      `SELECT ${MIRROR_USER_COLUMNS} FROM directory_users u
        WHERE u.account_id = $2 AND u.status = 'active' AND u.seq > $3
          AND coalesce(u.email_lower, u.record->>'username') IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM roster_rows r WHERE r.run_id = $1 AND r.matched_seq = u.seq)
        ORDER BY u.seq LIMIT $4`,
      [runId, accountId, afterSeq, limit],
    );
  }

  async activeUserCount(accountId: string): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM directory_users WHERE account_id = $1 AND status = 'active'`, [accountId]);
    return rows[0].n;
  }

  async dropStagedRows(runId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM roster_rows WHERE run_id = $1`, [runId]);
  }

  async exclusions(accountId: string): Promise<Record<string, unknown>> {
    const rows: Array<{ exclude: Record<string, unknown> }> = await this.dataSource.query(`SELECT exclude FROM roster_settings WHERE account_id = $1`, [accountId]);
    return rows[0]?.exclude ?? {};
  }

  async saveExclusions(accountId: string, exclude: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO roster_settings (account_id, exclude) VALUES ($1, $2)
       ON CONFLICT (account_id) DO UPDATE SET exclude = EXCLUDED.exclude, updated_at = now()`,
      [accountId, JSON.stringify(exclude)],
    );
  }
}
