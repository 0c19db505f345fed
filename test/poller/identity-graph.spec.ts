import { SyncRunEntity } from '@kb4/persistence';
import type { DataSource } from 'typeorm';
import type { TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { PollerStack, startPollerStack, syncAndWait, waitForRun } from './support';

interface PlanRow {
  graph_plan: {
    steps: Array<{ resource: string; estimated_requests: number; subjects?: string[] }>;
    skipped: Array<{ resource: string; reason: string }>;
    budget: { daily: number; graph_allowance: number };
    outcome: { requests: number; written: Record<string, number>; error?: string };
  };
  requests: number;
}

describe('poller: the identity graph (phishing, recipients, risk history) synced into the mirror on its own budget', () => {
  let stack: PollerStack | undefined;
  let dataSource: DataSource;
  let tenant: TenantCredentials;
  let accountId: string;
  const reporting = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${tenant.reporting_base_url}${path}`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })).json()) as T;
  const planOf = async (runId: string): Promise<PlanRow> => (await dataSource.query<PlanRow[]>(`SELECT graph_plan, requests FROM sync_runs WHERE id = $1`, [runId]))[0];
  const count = async (sql: string): Promise<number> => Number((await dataSource.query<Array<{ n: string }>>(sql, [accountId]))[0].n);

  beforeAll(async () => {
    stack = await startPollerStack({ label: 'graph', sandboxTenant: { seed: 14, users: 120, region: 'us' }, env: { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '50', SYNC_GRAPH_MAX_REQUESTS_PER_RUN: '1000' } });
    ({ dataSource, tenant, accountId } = stack);
    expect(stack.initial.status).toBe('completed');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('mirrors every campaign, security test and recipient, account and group risk history and a slice of users, and records the plan', async () => {
    const campaigns = await reporting<Array<{ campaign_id: number }>>('/phishing/campaigns');
    const tests = await reporting<Array<{ pst_id: number; exploited_count: number }>>('/phishing/security_tests');
    const groups = await reporting<Array<{ id: number }>>('/groups');
    expect(await count(`SELECT count(*) AS n FROM directory_phishing_campaigns WHERE account_id = $1`)).toBe(campaigns.length);
    expect(await count(`SELECT count(*) AS n FROM directory_security_tests WHERE account_id = $1`)).toBe(tests.length);
    let recipients = 0;
    let recipientPages = 0;
    for (const test of tests) {
      const listed = (await reporting<unknown[]>(`/phishing/security_tests/${test.pst_id}/recipients?per_page=500`)).length;
      recipients += listed;
      recipientPages += Math.max(1, Math.ceil(listed / 50));
    }
    expect(await count(`SELECT count(*) AS n FROM directory_phishing_recipients WHERE account_id = $1`)).toBe(recipients);
    // the test's counts survive into the unified record, the recipients carry users and results
    const [stored] = await dataSource.query<Array<{ record: { counts: { exploited: number } }; remote_id: string }>>(
      `SELECT remote_id::text AS remote_id, record FROM directory_security_tests WHERE account_id = $1 ORDER BY remote_id LIMIT 1`,
      [accountId],
    );
    expect(stored.record.counts.exploited).toBe(tests.find((t) => String(t.pst_id) === stored.remote_id)!.exploited_count);
    expect(await count(`SELECT count(*) AS n FROM directory_phishing_recipients WHERE account_id = $1 AND user_remote_id IS NULL`)).toBe(0);

    expect(await count(`SELECT count(*) AS n FROM directory_risk_scores WHERE account_id = $1 AND subject_type = 'account'`)).toBe(6);
    expect(await count(`SELECT count(DISTINCT subject_remote_id) AS n FROM directory_risk_scores WHERE account_id = $1 AND subject_type = 'group'`)).toBe(groups.length);
    const users = await count(`SELECT count(*) AS n FROM directory_users WHERE account_id = $1 AND remote_id IS NOT NULL`);
    expect(users).toBe(120);
    expect(await count(`SELECT count(DISTINCT subject_remote_id) AS n FROM directory_risk_scores WHERE account_id = $1 AND subject_type = 'user'`)).toBe(users);

    const { graph_plan: plan } = await planOf(stack!.initial.id);
    expect(plan.steps.map((s) => s.resource)).toEqual(['phishing_campaigns', 'security_tests', 'account_risk', 'group_risk', 'user_risk', 'recipients']);
    expect(plan.budget.daily).toBeGreaterThanOrEqual(2000);
    expect(plan.outcome.error).toBeUndefined();
    // SYNC_PER_PAGE 50: one page per list, per risk history, and a page per 50 recipients of each test
    expect(plan.outcome.requests).toBe(1 + 1 + 1 + groups.length + users + recipientPages);
    // what GET /integrated-accounts/{id}/sync-runs serves as graph_plan
    expect((await dataSource.getRepository(SyncRunEntity).findOneByOrFail({ id: stack!.initial.id })).graphPlan).toEqual(plan);
  });

  it('asks KnowBe4 for enrollments with their campaign and store purchase ids', async () => {
    expect(await count(`SELECT count(*) AS n FROM directory_enrollments WHERE account_id = $1`)).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM directory_enrollments WHERE account_id = $1 AND (campaign_remote_id IS NULL OR NOT record ? 'store_purchase_id')`)).toBe(0);
  });

  it('spends no graph request on a resync where nothing is due, and says why each resource was skipped', async () => {
    const run = await syncAndWait(dataSource, accountId);
    expect(run.status).toBe('completed');
    const { graph_plan: plan } = await planOf(run.id);
    expect(plan.steps).toEqual([]);
    expect(plan.outcome.requests).toBe(0);
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.resource, s.reason]));
    expect(reasons).toEqual({ phishing_campaigns: 'not_due', security_tests: 'not_due', account_risk: 'not_due', group_risk: 'not_due', user_risk: 'not_due', recipients: 'nothing_to_read' });
  });

  it('reads the recipients of a test that changed, and skips for budget what the graph share cannot pay for', async () => {
    // make every resource due again, and leave the graph 3 requests of its share for the day
    await dataSource.query(`UPDATE identity_graph_refreshes SET refreshed_at = now() - interval '2 days', requests = 0 WHERE account_id = $1`, [accountId]);
    const [{ pst }] = await dataSource.query<Array<{ pst: string }>>(`SELECT remote_id::text AS pst FROM directory_security_tests WHERE account_id = $1 ORDER BY remote_id LIMIT 1`, [accountId]);
    await dataSource.query(`UPDATE directory_security_tests SET recipients_content_hash = 'read-before-it-changed' WHERE account_id = $1 AND remote_id = $2`, [accountId, pst]);
    // the graph's share of 2,000 + licensed users (as the last GET /account had them)
    const [{ seats }] = await dataSource.query<Array<{ seats: number }>>(`SELECT number_of_seats AS seats FROM account_subscriptions WHERE account_id = $1`, [accountId]);
    const allowance = Math.floor((2000 + seats) * 0.25);
    // what the account's runs spent within the rolling day is what their graph plans recorded: the first run's, made all but 3
    const spendOfFirstRun = (requests: number) =>
      dataSource.query(`UPDATE sync_runs SET graph_plan = jsonb_set(graph_plan, '{outcome,requests}', to_jsonb($2::int)) WHERE id = $1`, [stack!.initial.id, requests]);
    const [{ others }] = await dataSource.query<Array<{ others: number }>>(
      `SELECT coalesce(sum((graph_plan->'outcome'->>'requests')::int), 0)::int AS others FROM sync_runs WHERE account_id = $1 AND id <> $2`,
      [accountId, stack!.initial.id],
    );
    await spendOfFirstRun(allowance - 3 - others);
    const run = await syncAndWait(dataSource, accountId);
    expect(run.status).toBe('completed');
    const { graph_plan: plan } = await planOf(run.id);
    expect(plan.steps.map((s) => s.resource)).toEqual(['phishing_campaigns', 'security_tests', 'account_risk']);
    expect(plan.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resource: 'group_risk', reason: 'over_budget' }),
        expect.objectContaining({ resource: 'user_risk', reason: 'over_budget' }),
        expect.objectContaining({ resource: 'recipients', reason: 'over_budget', subjects_skipped: 1 }),
      ]),
    );
    // with budget again, only the changed test's recipients are read
    await spendOfFirstRun(0);
    const next = await syncAndWait(dataSource, accountId);
    const after = (await planOf(next.id)).graph_plan;
    expect(after.steps.find((s) => s.resource === 'recipients')?.subjects).toEqual([pst]);
  });

  it('resumes a run stopped inside the graph phase with its plan, from the step it had reached', async () => {
    const before = await dataSource.query<Array<{ resource: string; sync_run_id: string }>>(`SELECT resource, sync_run_id FROM identity_graph_refreshes WHERE account_id = $1`, [accountId]);
    const plan = {
      planned_at: new Date().toISOString(),
      budget: { daily: 2500, graph_share: 0.25, graph_allowance: 625, graph_spent_last_24h: 0, per_run: 1000, available: 623 },
      steps: [{ resource: 'phishing_campaigns', estimated_requests: 1 }, { resource: 'account_risk', estimated_requests: 1 }],
      skipped: [],
    };
    // what a poller that died after the campaigns step left in the run's checkpoint
    const checkpoint = {
      baseline: false,
      phase: 'graph',
      page: 0,
      last_id: null,
      graph: { plan, outcome: { requests: 1, written: { phishing_campaigns: 5, security_tests: 0, recipients: 0, risk_points: 0 }, records_skipped: 0, subjects_failed: 0 }, step: 1, item: 0, page: 0, stepRequests: 0 },
    };
    const [{ id }] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO sync_runs (account_id, status, trigger, checkpoint) VALUES ($1, 'queued', 'manual', $2) RETURNING id`,
      [accountId, JSON.stringify(checkpoint)],
    );
    const run = await waitForRun(dataSource, id);
    expect(run.status).toBe('completed');
    const { graph_plan: resumed } = await planOf(id);
    expect(resumed.steps).toEqual(plan.steps);
    // the campaigns step is not read again; the account history is, once
    expect(resumed.outcome).toMatchObject({ requests: 2, written: { phishing_campaigns: 5, risk_points: 6 } });
    const after = await dataSource.query<Array<{ resource: string; sync_run_id: string }>>(`SELECT resource, sync_run_id FROM identity_graph_refreshes WHERE account_id = $1`, [accountId]);
    const by = (rows: typeof after) => Object.fromEntries(rows.map((r) => [r.resource, r.sync_run_id]));
    expect(by(after).account_risk).toBe(id);
    expect(by(after).phishing_campaigns).toBe(by(before).phishing_campaigns);
  });
});
