import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { KeysetPosition, Page, TimeRange } from '../repositories/directory-read.repository';

/** A page request over one graph list: always in the list's own stable order (see each method). */
export interface GraphPageRequest {
  accountId: string;
  position?: KeysetPosition;
  limit: number;
  includeRemoteData: boolean;
  excludeFields: string[];
}

export interface EnrollmentFilters {
  userRemoteId?: string;
  /** KnowBe4 status texts, lower-cased (`passed`, `in progress`, …). */
  statusKeys?: string[];
  campaignRemoteId?: string;
  updatedAt?: TimeRange;
}

/** An enrollment as stored: KnowBe4's record, mapped to the unified one by the caller. */
export interface EnrollmentRow {
  seq: string;
  record: Record<string, unknown>;
  updatedAt: string;
}

export interface RecipientFilters {
  testRemoteId?: string;
  userRemoteId?: string;
  result?: string;
  updatedAt?: TimeRange;
}

export type RiskSubjectType = 'account' | 'group' | 'user';
export type GraphExpansion = 'risk' | 'training' | 'phishing';

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

class Statement {
  readonly values: unknown[] = [];
  readonly where: string[] = [];

  param(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }

  timeRange(column: string, range: TimeRange | undefined): void {
    if (!range) return;
    const ops: Array<[keyof TimeRange, string]> = [['gte', '>='], ['gt', '>'], ['lt', '<'], ['lte', '<=']];
    for (const [key, op] of ops) if (range[key] !== undefined) this.where.push(`${column} ${op} ${this.param(range[key], '::timestamptz')}`);
  }
}

/**
 * Reads of the identity-graph mirror for the unified API: keyset pages on a key that never changes (`seq`, the
 * enrollment id, or the day of a risk point), records built as JSON text by Postgres, and the batched lookups behind
 * `expand=risk,training,phishing` — one statement per expanded resource for a whole page of users, never one per user.
 */
export class IdentityGraphReadRepository {
  private readonly pool: Pool;

  constructor(source: DataSource | Pool) {
    this.pool = 'driver' in source ? (source.driver as unknown as { master: Pool }).master : source;
  }

  /** Enrollments in enrollment-id order (the keyset is the id: enrollments have no mirror seq). */
  async listEnrollments(request: GraphPageRequest, filters: EnrollmentFilters): Promise<{ rows: EnrollmentRow[]; hasMore: boolean }> {
    const s = new Statement();
    s.where.push(`t.account_id = ${s.param(request.accountId, '::uuid')}`);
    if (filters.userRemoteId !== undefined) s.where.push(`t.user_remote_id = ${s.param(filters.userRemoteId, '::bigint')}`);
    if (filters.statusKeys !== undefined) s.where.push(`t.status_key = ANY(${s.param(filters.statusKeys, '::text[]')})`);
    if (filters.campaignRemoteId !== undefined) s.where.push(`t.campaign_remote_id = ${s.param(filters.campaignRemoteId, '::bigint')}`);
    s.timeRange('t.updated_at', filters.updatedAt);
    const { rows, hasMore, backwards } = await this.keyset<{ seq: string; record: Record<string, unknown>; updated_at: string }>(
      s,
      request,
      't.remote_id',
      `t.remote_id::text AS seq, t.record, to_char(t.updated_at AT TIME ZONE 'UTC', ${ISO_MS}) AS updated_at`,
      'directory_enrollments t',
    );
    const page = rows.map((r) => ({ seq: r.seq, record: r.record, updatedAt: r.updated_at }));
    if (backwards) page.reverse();
    return { rows: page, hasMore };
  }

  async findEnrollment(accountId: string, id: string): Promise<EnrollmentRow | null> {
    const text = `SELECT remote_id::text AS seq, record, to_char(updated_at AT TIME ZONE 'UTC', ${ISO_MS}) AS updated_at FROM directory_enrollments WHERE account_id = $1::uuid AND remote_id = $2::bigint`;
    const { rows } = await this.pool.query<{ seq: string; record: Record<string, unknown>; updated_at: string }>({ name: statementName(text), text, values: [accountId, id] });
    return rows.length ? { seq: rows[0].seq, record: rows[0].record, updatedAt: rows[0].updated_at } : null;
  }

  listCampaigns(request: GraphPageRequest, filters: { updatedAt?: TimeRange }): Promise<Page> {
    const s = new Statement();
    s.where.push(`t.account_id = ${s.param(request.accountId, '::uuid')}`);
    s.timeRange('t.updated_at', filters.updatedAt);
    return this.recordPage(s, request, 'directory_phishing_campaigns');
  }

  listSecurityTests(request: GraphPageRequest, filters: { campaignRemoteId?: string; updatedAt?: TimeRange }): Promise<Page> {
    const s = new Statement();
    s.where.push(`t.account_id = ${s.param(request.accountId, '::uuid')}`);
    if (filters.campaignRemoteId !== undefined) s.where.push(`t.campaign_remote_id = ${s.param(filters.campaignRemoteId, '::bigint')}`);
    s.timeRange('t.updated_at', filters.updatedAt);
    return this.recordPage(s, request, 'directory_security_tests');
  }

  listRecipients(request: GraphPageRequest, filters: RecipientFilters): Promise<Page> {
    const s = new Statement();
    s.where.push(`t.account_id = ${s.param(request.accountId, '::uuid')}`);
    if (filters.testRemoteId !== undefined) s.where.push(`t.test_remote_id = ${s.param(filters.testRemoteId, '::bigint')}`);
    if (filters.userRemoteId !== undefined) s.where.push(`t.user_remote_id = ${s.param(filters.userRemoteId, '::bigint')}`);
    if (filters.result !== undefined) s.where.push(`t.result = ${s.param(filters.result)}`);
    s.timeRange('t.updated_at', filters.updatedAt);
    return this.recordPage(s, request, 'directory_phishing_recipients');
  }

  /** One campaign or security test by its KnowBe4 id, as served JSON. */
  async findRecord(table: 'directory_phishing_campaigns' | 'directory_security_tests', accountId: string, id: string, options: { includeRemoteData: boolean; excludeFields: string[] }): Promise<string | null> {
    const text = `SELECT (${recordJson(options.includeRemoteData)} - $3::text[])::text AS json FROM ${table} t WHERE t.account_id = $1::uuid AND t.remote_id = $2::bigint`;
    const { rows } = await this.pool.query<{ json: string }>({ name: statementName(text), text, values: [accountId, id, options.excludeFields] });
    return rows[0]?.json ?? null;
  }

  async securityTestExists(accountId: string, id: string): Promise<boolean> {
    const text = 'SELECT 1 FROM directory_security_tests WHERE account_id = $1::uuid AND remote_id = $2::bigint';
    return (await this.pool.query({ name: statementName(text), text, values: [accountId, id] })).rowCount! > 0;
  }

  /** Risk points of one subject, newest day first; the keyset is the day (`YYYYMMDD`), unique per subject. */
  async listRiskScores(request: GraphPageRequest, subject: { type: RiskSubjectType; remoteId: string }, filters: { updatedAt?: TimeRange }): Promise<Page> {
    const s = new Statement();
    s.where.push(`t.account_id = ${s.param(request.accountId, '::uuid')}`);
    s.where.push(`t.subject_type = ${s.param(subject.type)}`);
    s.where.push(`t.subject_remote_id = ${s.param(subject.remoteId, '::bigint')}`);
    s.timeRange('t.updated_at', filters.updatedAt);
    const json = `jsonb_build_object('date', to_char(t.day, 'YYYY-MM-DD'), 'risk_score', t.risk_score, 'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', ${ISO_MS}))`;
    const key = `to_char(t.day, 'YYYYMMDD')::bigint`;
    const { rows, hasMore, backwards } = await this.keyset<{ seq: string; json: string }>(s, request, key, `${key}::text AS seq, (${json} - ${'$EXCLUDE'})::text AS json`, 'directory_risk_scores t', true);
    const page = rows.map((r) => ({ seq: r.seq, sortValue: null, json: r.json }));
    if (backwards) page.reverse();
    return { rows: page, hasMore };
  }

  /**
   * What `expand=` adds to a page of users, by Reporting id: one statement per expansion for the whole page. Each
   * value is JSON text; users without data get the empty value of the expansion.
   */
  async expansionsFor(accountId: string, userRemoteIds: readonly string[], expansion: GraphExpansion): Promise<Map<string, string>> {
    if (userRemoteIds.length === 0) return new Map();
    const text = EXPANSION_SQL[expansion];
    const { rows } = await this.pool.query<{ id: string; json: string }>({ name: statementName(text), text, values: [accountId, userRemoteIds] });
    return new Map(rows.map((r) => [r.id, r.json]));
  }

  private recordPage(s: Statement, request: GraphPageRequest, table: string): Promise<Page> {
    return this.keyset<{ seq: string; json: string }>(s, request, 't.seq', `t.seq::text AS seq, (${recordJson(request.includeRemoteData)} - $EXCLUDE)::text AS json`, `${table} t`).then(
      ({ rows, hasMore, backwards }) => {
        const page = rows.map((r) => ({ seq: r.seq, sortValue: null, json: r.json }));
        if (backwards) page.reverse();
        return { rows: page, hasMore };
      },
    );
  }

  /** A keyset page on `key` (ascending, or descending for `newestFirst`), `$EXCLUDE` in `select` bound to the excluded fields. */
  private async keyset<R>(s: Statement, request: GraphPageRequest, key: string, select: string, from: string, newestFirst = false): Promise<{ rows: R[]; hasMore: boolean; backwards: boolean }> {
    const backwards = request.position?.direction === 'prev';
    const descending = newestFirst !== backwards;
    if (request.position) s.where.push(`${key} ${descending ? '<' : '>'} ${s.param(request.position.seq, '::bigint')}`);
    // enrollments are projected by the caller: only a select that names $EXCLUDE binds the excluded fields
    const exclude = select.includes('$EXCLUDE') ? s.param(request.excludeFields, '::text[]') : '';
    const limit = s.param(request.limit + 1, '::int');
    const text = `SELECT ${select.replace('$EXCLUDE', () => exclude)} FROM ${from} WHERE ${s.where.join(' AND ')} ORDER BY ${key} ${descending ? 'DESC' : 'ASC'} LIMIT ${limit}`;
    const { rows } = await this.pool.query<R & object>({ name: statementName(text), text, values: s.values });
    const hasMore = rows.length > request.limit;
    return { rows: hasMore ? rows.slice(0, request.limit) : rows, hasMore, backwards };
  }
}

// The stored unified record with the mirror's modification time, and (unless left out) KnowBe4's record.
function recordJson(includeRemoteData: boolean): string {
  const remote = includeRemoteData ? `, 'remote_data', t.remote_data` : '';
  return `(t.record || jsonb_build_object('updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', ${ISO_MS})${remote}))`;
}

const EXPANSION_SQL: Record<GraphExpansion, string> = {
  // the user's scores as the last sync read them, and the newest point of its synced history
  risk: `SELECT u.remote_id::text AS id, jsonb_build_object(
            'current_risk_score', u.record->'current_risk_score', 'phish_prone_percentage', u.record->'phish_prone_percentage',
            'latest_history', CASE WHEN h.day IS NULL THEN NULL ELSE jsonb_build_object('date', to_char(h.day, 'YYYY-MM-DD'), 'risk_score', h.risk_score) END)::text AS json
           FROM directory_users u
           LEFT JOIN LATERAL (SELECT r.day, r.risk_score FROM directory_risk_scores r
                               WHERE r.account_id = u.account_id AND r.subject_type = 'user' AND r.subject_remote_id = u.remote_id
                               ORDER BY r.day DESC LIMIT 1) h ON true
          WHERE u.account_id = $1::uuid AND u.remote_id = ANY($2::bigint[])`,
  training: `SELECT e.user_remote_id::text AS id, jsonb_build_object(
               'assigned', count(*),
               'not_started', count(*) FILTER (WHERE e.status_key = 'not started'),
               'in_progress', count(*) FILTER (WHERE e.status_key = 'in progress'),
               'passed', count(*) FILTER (WHERE e.status_key IN ('passed', 'completed')),
               'past_due', count(*) FILTER (WHERE e.status_key = 'past due'))::text AS json
              FROM directory_enrollments e
             WHERE e.account_id = $1::uuid AND e.user_remote_id = ANY($2::bigint[])
             GROUP BY e.user_remote_id`,
  // the newest security test the user was sent, and how it went
  phishing: `SELECT DISTINCT ON (r.user_remote_id) r.user_remote_id::text AS id, jsonb_build_object(
               'security_test_id', r.test_remote_id::text, 'recipient_id', r.remote_id::text, 'result', r.result,
               'scheduled_at', r.record->'scheduled_at', 'delivered_at', r.record->'delivered_at', 'opened_at', r.record->'opened_at',
               'clicked_at', r.record->'clicked_at', 'reported_at', r.record->'reported_at')::text AS json
              FROM directory_phishing_recipients r
             WHERE r.account_id = $1::uuid AND r.user_remote_id = ANY($2::bigint[])
             ORDER BY r.user_remote_id, r.scheduled_at DESC NULLS LAST, r.seq DESC`,
};

function statementName(text: string): string {
  return `ig_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}
