import type { DataSource, EntityManager } from 'typeorm';

/** Resources of the identity graph the poller refreshes, each on its own cadence. */
export type GraphResource = 'phishing_campaigns' | 'security_tests' | 'recipients' | 'account_risk' | 'group_risk' | 'user_risk';

export interface GraphRefreshState {
  refreshedAt: Date;
  /** Requests the last refresh made. */
  requests: number;
  /** user_risk: the largest user id the last slice covered (the next slice starts after it). */
  position: string | null;
}

/** One graph record as the poller writes it: the unified record, KnowBe4's as fetched, and its content hash. */
export interface GraphRecordWrite {
  remoteId: string;
  record: Record<string, unknown>;
  remoteData: Record<string, unknown>;
  contentHash: string;
}

export interface SecurityTestWrite extends GraphRecordWrite {
  campaignRemoteId: string | null;
  startedAt: string | null;
}

export interface RecipientWrite extends GraphRecordWrite {
  userRemoteId: string | null;
  emailLower: string | null;
  scheduledAt: string | null;
  result: string;
}

export interface RiskPointWrite {
  day: string;
  riskScore: number | null;
}

export type RiskSubject = { type: 'account' } | { type: 'group' | 'user'; remoteId: string };

/** A security test whose recipients a run may read: changed since they were last read, or recent. */
export interface RecipientCandidate {
  remoteId: string;
  /** Recipients KnowBe4 counted as scheduled (null: unknown), to estimate the pages it costs. */
  scheduled: number | null;
  changed: boolean;
  startedAt: Date | null;
}

/**
 * Writes of the identity-graph mirror (campaigns, security tests, recipients, risk history) and what each resource
 * was last refreshed with. Rows keep their `seq` forever; `updated_at` moves only when the content hash does.
 */
export class IdentityGraphWriteRepository {
  constructor(private readonly dataSource: DataSource) {}

  async refreshStates(accountId: string): Promise<Map<GraphResource, GraphRefreshState>> {
    const rows = await this.dataSource.query<Array<{ resource: GraphResource; refreshed_at: Date; requests: number; position: string | null }>>(
      `SELECT resource, refreshed_at, requests, position FROM identity_graph_refreshes WHERE account_id = $1`,
      [accountId],
    );
    return new Map(rows.map((r) => [r.resource, { refreshedAt: r.refreshed_at, requests: r.requests, position: r.position }]));
  }

  /**
   * Graph requests the account's runs spent within the last `windowSeconds`, as each run's graph plan recorded them:
   * the rolling day's true spend (a refresh record keeps only its resource's last refresh).
   */
  async graphRequestsWithin(accountId: string, windowSeconds: number): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ spent: number }>>(
      `SELECT coalesce(sum((graph_plan->'outcome'->>'requests')::int), 0)::int AS spent FROM sync_runs
        WHERE account_id = $1 AND started_at > now() - make_interval(secs => $2) AND graph_plan IS NOT NULL`,
      [accountId, windowSeconds],
    );
    return row.spent;
  }

  async recordRefresh(manager: EntityManager, accountId: string, resource: GraphResource, runId: string, requests: number, position: string | null = null): Promise<void> {
    await manager.query(
      `INSERT INTO identity_graph_refreshes (account_id, resource, refreshed_at, sync_run_id, requests, position) VALUES ($1, $2, now(), $3, $4, $5)
       ON CONFLICT (account_id, resource) DO UPDATE SET refreshed_at = now(), sync_run_id = $3, requests = $4, position = $5`,
      [accountId, resource, runId, requests, position],
    );
  }

  async saveGraphPlan(manager: EntityManager, runId: string, plan: unknown): Promise<void> {
    await manager.query(`UPDATE sync_runs SET graph_plan = $2::jsonb WHERE id = $1`, [runId, JSON.stringify(plan)]);
  }

  /** How many records of each kind the mirror holds for the account: what the planner estimates pages from. */
  async sizes(accountId: string): Promise<{ campaigns: number; tests: number; groups: number; users: number }> {
    const [row] = await this.dataSource.query<Array<{ campaigns: string; tests: string; groups: string; users: string }>>(
      `SELECT (SELECT count(*) FROM directory_phishing_campaigns WHERE account_id = $1) AS campaigns,
              (SELECT count(*) FROM directory_security_tests WHERE account_id = $1) AS tests,
              (SELECT count(*) FROM directory_groups WHERE account_id = $1 AND remote_id IS NOT NULL) AS groups,
              (SELECT count(*) FROM directory_users WHERE account_id = $1 AND remote_id IS NOT NULL) AS users`,
      [accountId],
    );
    return { campaigns: Number(row.campaigns), tests: Number(row.tests), groups: Number(row.groups), users: Number(row.users) };
  }

  /** KnowBe4's licensed users as the last `/account` read had them; null when never read. */
  async licensedUsers(accountId: string): Promise<number | null> {
    const rows = await this.dataSource.query<Array<{ seats: number | null }>>(`SELECT number_of_seats AS seats FROM account_subscriptions WHERE account_id = $1`, [accountId]);
    return rows[0]?.seats ?? null;
  }

  async upsertCampaigns(manager: EntityManager, accountId: string, runId: string, rows: readonly GraphRecordWrite[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO directory_phishing_campaigns (account_id, remote_id, record, remote_data, content_hash, updated_at, last_seen_run_id)
       SELECT $1, v.remote_id, v.record, v.remote_data, v.content_hash, now(), $2
         FROM jsonb_to_recordset($3::jsonb) AS v(remote_id bigint, record jsonb, remote_data jsonb, content_hash text)
       ON CONFLICT (account_id, remote_id) DO UPDATE
          SET record = EXCLUDED.record, remote_data = EXCLUDED.remote_data, content_hash = EXCLUDED.content_hash, last_seen_run_id = $2,
              updated_at = CASE WHEN directory_phishing_campaigns.content_hash = EXCLUDED.content_hash THEN directory_phishing_campaigns.updated_at ELSE now() END`,
      [accountId, runId, JSON.stringify(rows.map(columns))],
    );
  }

  async upsertSecurityTests(manager: EntityManager, accountId: string, runId: string, rows: readonly SecurityTestWrite[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO directory_security_tests (account_id, remote_id, campaign_remote_id, started_at, record, remote_data, content_hash, updated_at, last_seen_run_id)
       SELECT $1, v.remote_id, v.campaign_remote_id, v.started_at, v.record, v.remote_data, v.content_hash, now(), $2
         FROM jsonb_to_recordset($3::jsonb) AS v(remote_id bigint, campaign_remote_id bigint, started_at timestamptz, record jsonb, remote_data jsonb, content_hash text)
       ON CONFLICT (account_id, remote_id) DO UPDATE
          SET campaign_remote_id = EXCLUDED.campaign_remote_id, started_at = EXCLUDED.started_at, record = EXCLUDED.record,
              remote_data = EXCLUDED.remote_data, content_hash = EXCLUDED.content_hash, last_seen_run_id = $2,
              updated_at = CASE WHEN directory_security_tests.content_hash = EXCLUDED.content_hash THEN directory_security_tests.updated_at ELSE now() END`,
      [accountId, runId, JSON.stringify(rows.map((r) => ({ ...columns(r), campaign_remote_id: r.campaignRemoteId, started_at: r.startedAt })))],
    );
  }

  /** After a complete walk of the list: rows KnowBe4 no longer lists (a deleted test takes its recipients along). */
  async deleteUnseen(manager: EntityManager, accountId: string, runId: string, resource: 'phishing_campaigns' | 'security_tests'): Promise<number> {
    if (resource === 'security_tests') {
      await manager.query(
        `DELETE FROM directory_phishing_recipients r USING directory_security_tests t
          WHERE t.account_id = $1 AND t.last_seen_run_id IS DISTINCT FROM $2 AND r.account_id = t.account_id AND r.test_remote_id = t.remote_id`,
        [accountId, runId],
      );
    }
    const table = resource === 'security_tests' ? 'directory_security_tests' : 'directory_phishing_campaigns';
    const [, count] = await manager.query<[unknown, number]>(`DELETE FROM ${table} WHERE account_id = $1 AND last_seen_run_id IS DISTINCT FROM $2`, [accountId, runId]);
    return count ?? 0;
  }

  /** Tests whose recipients changed since last read, then recent ones not read since `staleBefore`; newest first. */
  async recipientCandidates(accountId: string, recentSince: Date, staleBefore: Date): Promise<RecipientCandidate[]> {
    const rows = await this.dataSource.query<Array<{ remote_id: string; scheduled: string | null; changed: boolean; started_at: Date | null }>>(
      `SELECT remote_id::text AS remote_id, record->'counts'->>'scheduled' AS scheduled,
              recipients_content_hash IS DISTINCT FROM content_hash AS changed, started_at
         FROM directory_security_tests
        WHERE account_id = $1
          AND (recipients_content_hash IS DISTINCT FROM content_hash
               OR (started_at >= $2 AND (recipients_synced_at IS NULL OR recipients_synced_at < $3)))
        ORDER BY (recipients_content_hash IS DISTINCT FROM content_hash) DESC, started_at DESC NULLS LAST, remote_id DESC`,
      [accountId, recentSince, staleBefore],
    );
    return rows.map((r) => ({ remoteId: r.remote_id, scheduled: r.scheduled === null ? null : Number(r.scheduled), changed: r.changed, startedAt: r.started_at }));
  }

  async upsertRecipients(manager: EntityManager, accountId: string, runId: string, testRemoteId: string, rows: readonly RecipientWrite[]): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      `INSERT INTO directory_phishing_recipients (account_id, remote_id, test_remote_id, user_remote_id, email_lower, scheduled_at, result, record, remote_data, content_hash, updated_at, last_seen_run_id)
       SELECT $1, v.remote_id, $3, v.user_remote_id, v.email_lower, v.scheduled_at, v.result, v.record, v.remote_data, v.content_hash, now(), $2
         FROM jsonb_to_recordset($4::jsonb) AS v(remote_id bigint, user_remote_id bigint, email_lower text, scheduled_at timestamptz, result text, record jsonb, remote_data jsonb, content_hash text)
       ON CONFLICT (account_id, remote_id) DO UPDATE
          SET test_remote_id = EXCLUDED.test_remote_id, user_remote_id = EXCLUDED.user_remote_id, email_lower = EXCLUDED.email_lower,
              scheduled_at = EXCLUDED.scheduled_at, result = EXCLUDED.result, record = EXCLUDED.record, remote_data = EXCLUDED.remote_data,
              content_hash = EXCLUDED.content_hash, last_seen_run_id = $2,
              updated_at = CASE WHEN directory_phishing_recipients.content_hash = EXCLUDED.content_hash THEN directory_phishing_recipients.updated_at ELSE now() END`,
      [
        accountId,
        runId,
        testRemoteId,
        JSON.stringify(rows.map((r) => ({ ...columns(r), user_remote_id: r.userRemoteId, email_lower: r.emailLower, scheduled_at: r.scheduledAt, result: r.result }))),
      ],
    );
  }

  /** A test's recipients were read to the end: those not listed any more go, and the test is marked read as of its content. */
  async completeRecipients(manager: EntityManager, accountId: string, runId: string, testRemoteId: string): Promise<void> {
    await manager.query(
      `DELETE FROM directory_phishing_recipients WHERE account_id = $1 AND test_remote_id = $3 AND last_seen_run_id IS DISTINCT FROM $2`,
      [accountId, runId, testRemoteId],
    );
    await manager.query(
      `UPDATE directory_security_tests SET recipients_content_hash = content_hash, recipients_synced_at = now() WHERE account_id = $1 AND remote_id = $2`,
      [accountId, testRemoteId],
    );
  }

  async upsertRiskScores(manager: EntityManager, accountId: string, runId: string, subject: RiskSubject, points: readonly RiskPointWrite[]): Promise<void> {
    if (points.length === 0) return;
    await manager.query(
      `INSERT INTO directory_risk_scores (account_id, subject_type, subject_remote_id, day, risk_score, updated_at, last_seen_run_id)
       SELECT $1, $3, $4, v.day, v.risk_score, now(), $2 FROM jsonb_to_recordset($5::jsonb) AS v(day date, risk_score double precision)
       ON CONFLICT (account_id, subject_type, subject_remote_id, day) DO UPDATE
          SET last_seen_run_id = $2, risk_score = EXCLUDED.risk_score,
              updated_at = CASE WHEN directory_risk_scores.risk_score IS NOT DISTINCT FROM EXCLUDED.risk_score THEN directory_risk_scores.updated_at ELSE now() END`,
      [accountId, runId, subject.type, subject.type === 'account' ? '0' : subject.remoteId, JSON.stringify(points.map((p) => ({ day: p.day, risk_score: p.riskScore })))],
    );
  }

  /** Up to `limit` group or user ids (Reporting, id order) after `after` (null: from the first), and whether more follow. */
  async subjectIdsAfter(accountId: string, kind: 'group' | 'user', after: string | null, limit: number): Promise<{ ids: string[]; more: boolean }> {
    if (limit <= 0) return { ids: [], more: true };
    const table = kind === 'group' ? 'directory_groups' : 'directory_users';
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT remote_id::text AS id FROM ${table} WHERE account_id = $1 AND remote_id IS NOT NULL AND remote_id > $2::bigint ORDER BY remote_id LIMIT $3`,
      [accountId, after ?? '-1', limit + 1],
    );
    return { ids: rows.slice(0, limit).map((r) => r.id), more: rows.length > limit };
  }
}

function columns(r: GraphRecordWrite): Record<string, unknown> {
  return { remote_id: r.remoteId, record: r.record, remote_data: r.remoteData, content_hash: r.contentHash };
}
