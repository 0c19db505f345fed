import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { Client, Pool } from 'pg';
import { CredentialCipher } from '@kb4/persistence';
import { bootstrapHttpService, createLogger, loadConfig } from '@kb4/platform';
import { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { configureGatewayApp } from '../../apps/gateway/src/gateway-app';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { call, createTenant, migratedDatabase, poolFor, type Tenant } from '../gateway/support/gateway-harness';

const USERS = 10_000;
const CREDENTIALS_KEY = CredentialCipher.generateKey();

/**
 * The identity graph's unified reads against a 10,000-user mirror seeded in Postgres, through the gateway running in
 * this process, with every statement the pg driver sends counted (Client.prototype.query): `expand` must cost one
 * statement per expanded resource per page, whatever the page size.
 */
describe('identity graph reads and expand=risk,training,phishing (10k-user mirror)', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let app: INestApplication;
  let url: string;
  let tenant: Tenant;
  const statements: string[] = [];
  const originalQuery = Client.prototype.query;

  const get = (path: string) => call(url, path, { apiKey: tenant.apiKey });
  const q = (path: string, params = '') => `${path}?integrated_account_id=${tenant.accountId}${params}`;
  /**
   * The mirror reads one request sent: statements on the directory and graph tables (the gateway's background loops —
   * outbox relay, reconciler — query other tables meanwhile; auth and account scope are cached after the first call).
   */
  async function counted(path: string): Promise<{ body: Record<string, unknown>; statements: string[]; status: number }> {
    statements.length = 0;
    const response = await get(path);
    const reads = statements.filter((text) => /\b(directory_[a-z_]+|identity_graph_refreshes)\b/.test(text));
    return { body: response.body as Record<string, unknown>, statements: reads, status: response.status };
  }

  beforeAll(async () => {
    database = await migratedDatabase('kb4_graph_reads');
    pool = poolFor(database.url);
    tenant = await createTenant(database.url, CREDENTIALS_KEY);
    await seed(pool, tenant.accountId);
    const config = loadConfig(GatewayConfig, {
      DATABASE_URL: database.url,
      CREDENTIALS_KEY,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      LOG_LEVEL: 'silent',
      GATEWAY_PORT: '0',
      OPERATION_RECONCILE_INTERVAL_SECONDS: '3600',
    });
    app = await bootstrapHttpService({ service: 'gateway', module: GatewayModule.forConfig(config), port: 0, logger: createLogger('gateway', 'error'), bodyParser: false, configure: configureGatewayApp });
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    // every statement the driver sends, whoever sends it (TypeORM and the read repositories alike)
    const counting = function (this: Client, ...args: unknown[]): unknown {
      const first = args[0] as string | { text?: string } | undefined;
      statements.push(typeof first === 'string' ? first : (first?.text ?? ''));
      return Reflect.apply(originalQuery, this, args);
    };
    Client.prototype.query = counting as typeof Client.prototype.query;
    // warm the API key and account caches so the counts below are the reads alone
    expect((await get(q('/unified/user-directory/users', '&limit=1'))).status).toBe(200);
  });

  afterAll(async () => {
    Client.prototype.query = originalQuery;
    await app?.close();
    await pool?.end();
    await database?.drop();
  });

  it('costs exactly one extra statement per expanded resource on a 500-user page, on the first and a later page', async () => {
    const plain = await counted(q('/unified/user-directory/users', '&limit=500'));
    expect(plain.status).toBe(200);
    const expanded = await counted(q('/unified/user-directory/users', '&limit=500&expand=risk,training,phishing'));
    expect(expanded.status).toBe(200);
    expect((expanded.body.result as unknown[]).length).toBe(500);
    expect(plain.statements).toHaveLength(1);
    expect(expanded.statements.length).toBe(plain.statements.length + 3);
    const graphStatements = (list: string[]) => list.filter((s) => /directory_enrollments|directory_phishing_recipients|directory_risk_scores/.test(s));
    expect(graphStatements(expanded.statements)).toHaveLength(3);

    const later = await counted(q('/unified/user-directory/users', `&limit=500&expand=risk,training,phishing&next_cursor=${expanded.body.next_cursor as string}`));
    expect(later.status).toBe(200);
    expect(later.statements.length).toBe(plain.statements.length + 3);
    const one = await counted(q('/unified/user-directory/users', '&limit=500&expand=training'));
    expect(one.statements.length).toBe(plain.statements.length + 1);
  });

  it('joins latest risk, the enrollment summary and the last phishing result to each user, on lists and gets', async () => {
    const list = await get(q('/unified/user-directory/users', '&limit=2&expand=phishing,risk,training&truto_ignore_remote_data=true'));
    const [even, odd] = list.body.result as Array<{ id: string; risk: unknown; training: unknown; phishing: unknown }>;
    expect(even.id).toBe('1000000');
    expect(even.risk).toEqual({ current_risk_score: 0, phish_prone_percentage: 0, latest_history: { date: '2026-11-01', risk_score: 1 } });
    expect(even.training).toEqual({ assigned: 2, not_started: 0, in_progress: 0, passed: 1, past_due: 1 });
    expect(odd.training).toEqual({ assigned: 2, not_started: 0, in_progress: 1, passed: 1, past_due: 0 });
    // even users were sent the later test too; odd ones only the first
    expect(even.phishing).toMatchObject({ security_test_id: '901', result: 'failed', scheduled_at: '2026-06-01T00:00:00.000Z' });
    expect(odd.phishing).toMatchObject({ security_test_id: '900', result: 'reported' });
    const single = await get(q('/unified/user-directory/users/1000001', '&expand=training'));
    expect(single.body.training).toEqual(odd.training);
    expect(single.body).not.toHaveProperty('risk');
    expect((await get(q('/unified/user-directory/users', '&expand=risk,bogus'))).status).toBe(400);
  });

  it('lists training enrollments by user id, email or employee number, status and campaign, paged without repeats', async () => {
    const byEmail = await get(q('/unified/user-directory/training-enrollments', '&email=USER7@example.com'));
    expect(byEmail.status).toBe(200);
    expect((byEmail.body.result as Array<{ user_id: string }>).map((e) => e.user_id)).toEqual(['1000007', '1000007']);
    const byNumber = await get(q('/unified/user-directory/training-enrollments', '&employee_number=000007'));
    expect(byNumber.body.result).toEqual(byEmail.body.result);
    const byId = await get(q('/unified/user-directory/training-enrollments', '&user_id=1000007&status=in_progress'));
    expect(byId.body.result).toEqual([expect.objectContaining({ status: 'in_progress', remote_status: 'In Progress', campaign_id: '11', store_purchase_id: '7', user: expect.objectContaining({ employee_number: '7' }) })]);
    expect((await get(q('/unified/user-directory/training-enrollments', '&email=nobody@example.com'))).body).toEqual({ result: [], next_cursor: null, prev_cursor: null, result_count: 0 });
    expect((await get(q('/unified/user-directory/training-enrollments', '&email=a@b.c&user_id=1'))).status).toBe(400);

    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(q('/unified/user-directory/training-enrollments', `&campaign_id=10&limit=500&truto_ignore_remote_data=true${cursor ? `&next_cursor=${cursor}` : ''}`));
      for (const e of page.body.result as Array<{ id: string; campaign_id: string }>) {
        expect(e.campaign_id).toBe('10');
        expect(seen.has(e.id)).toBe(false);
        seen.add(e.id);
      }
      cursor = page.body.next_cursor as string | null;
      pages += 1;
    } while (cursor);
    expect(seen.size).toBe(2 * Math.ceil(USERS / 3));
    expect(pages).toBe(Math.ceil(seen.size / 500));
    const one = await get(q(`/unified/user-directory/training-enrollments/${[...seen][0]}`));
    expect(one.body).toMatchObject({ id: [...seen][0], remote_data: expect.objectContaining({ enrollment_id: Number([...seen][0]) }) });
    expect((await get(q('/unified/user-directory/training-enrollments/99'))).status).toBe(404);
  });

  it('serves phishing campaigns, security tests and their recipients, filtered by user and result', async () => {
    const campaigns = await get(q('/unified/user-directory/phishing-campaigns'));
    expect(campaigns.body.result).toEqual([expect.objectContaining({ id: '300', name: 'Baseline', security_test_ids: ['900', '901'], remote_data: expect.any(Object) })]);
    expect((await get(q('/unified/user-directory/phishing-campaigns/300'))).body).toMatchObject({ id: '300' });
    const tests = await get(q('/unified/user-directory/phishing-security-tests', '&campaign_id=300&truto_exclude_fields[]=remote_data'));
    expect((tests.body.result as Array<Record<string, unknown>>).map((t) => t.id)).toEqual(['900', '901']);
    expect((tests.body.result as Array<Record<string, unknown>>)[0]).not.toHaveProperty('remote_data');
    expect((await get(q('/unified/user-directory/phishing-security-tests/901'))).body).toMatchObject({ counts: { exploited: 2, vulnerable_plugin: 3 } });
    const failed = await get(q('/unified/user-directory/phishing-security-tests/901/recipients', '&result=failed&limit=3'));
    expect(failed.body.result_count).toBe(3);
    expect(failed.body.next_cursor).not.toBeNull();
    const mine = await get(q('/unified/user-directory/phishing-security-tests/900/recipients', '&email=user3@example.com'));
    expect(mine.body.result).toEqual([expect.objectContaining({ user_id: '1000003', result: 'reported', security_test_id: '900' })]);
    expect((await get(q('/unified/user-directory/phishing-security-tests/1/recipients'))).status).toBe(404);
  });

  it('serves risk-score history of a user (by id or SCIM id), a group and the account, newest day first', async () => {
    const user = await get(q('/unified/user-directory/users/1000005/risk-score-history'));
    expect(user.body.result).toEqual([
      { date: '2026-11-01', risk_score: 6, updated_at: expect.any(String) },
      { date: '2026-10-01', risk_score: 5, updated_at: expect.any(String) },
    ]);
    const bySeq = await get(q('/unified/user-directory/users/scim-5/risk-score-history', '&limit=1'));
    expect((bySeq.body.result as unknown[]).length).toBe(1);
    const next = await get(q('/unified/user-directory/users/scim-5/risk-score-history', `&limit=1&next_cursor=${bySeq.body.next_cursor as string}`));
    expect(next.body.result).toEqual([expect.objectContaining({ date: '2026-10-01' })]);
    expect((await get(q('/unified/user-directory/groups/41/risk-score-history'))).body.result).toEqual([expect.objectContaining({ date: '2026-11-01', risk_score: 22.5 })]);
    expect(((await get(q('/unified/user-directory/risk-score-history'))).body.result as Array<{ date: string }>).map((p) => p.date)).toEqual(['2026-11-01', '2026-10-01', '2026-09-01']);
    expect((await get(q('/unified/user-directory/users/999/risk-score-history'))).status).toBe(404);
  });

  it('never answers 500 or leaks a stack trace to random ids, filters and cursors on the graph routes', async () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('9'.repeat(19), '-1', '0', '1e9', '\u0000', '../..', '%ZZ', '1000005', 'scim-5', '16142'));
    const routes = [
      '/unified/user-directory/training-enrollments',
      '/unified/user-directory/training-enrollments/{id}',
      '/unified/user-directory/phishing-campaigns',
      '/unified/user-directory/phishing-campaigns/{id}',
      '/unified/user-directory/phishing-security-tests',
      '/unified/user-directory/phishing-security-tests/{id}',
      '/unified/user-directory/phishing-security-tests/{id}/recipients',
      '/unified/user-directory/users/{id}/risk-score-history',
      '/unified/user-directory/groups/{id}/risk-score-history',
      '/unified/user-directory/risk-score-history',
      '/unified/user-directory/users',
    ];
    const names = ['user_id', 'email', 'employee_number', 'status', 'campaign_id', 'result', 'limit', 'next_cursor', 'expand', 'updated_at[gte]', 'truto_exclude_fields[]', 'truto_ignore_remote_data'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), text, fc.array(fc.tuple(fc.constantFrom(...names), text), { maxLength: 3 }), async (route, id, params) => {
        const query = params.map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('');
        const response = await get(q(route.replace('{id}', encodeURIComponent(id) || 'x'), query));
        if (response.status >= 500 || /\n\s+at |node_modules|\.ts:\d+/.test(response.text)) throw new Error(`${route} ${id} ${query} → ${response.status} ${response.text.slice(0, 300)}`);
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

/** A 10,000-user mirror with two enrollments each, two security tests, risk history, a group and a campaign. */
async function seed(pool: Pool, accountId: string): Promise<void> {
  await pool.query(
    `INSERT INTO directory_users (account_id, remote_id, scim_id, email_lower, employee_number, status, first_name, last_name, record, remote_data, content_hash)
     SELECT $1::uuid, 1000000 + i, 'scim-' || i, 'user' || i || '@example.com', lpad(i::text, 6, '0'), 'active', 'U' || i, 'Test',
            jsonb_build_object('first_name', 'U' || i, 'last_name', 'Test', 'username', 'user' || i || '@example.com', 'current_risk_score', (i % 100)::float,
                               'phish_prone_percentage', (i % 50)::float / 2),
            jsonb_build_object('id', 1000000 + i), 'h'
       FROM generate_series(0, $2 - 1) AS i`,
    [accountId, USERS],
  );
  await pool.query(
    `INSERT INTO directory_enrollments (account_id, remote_id, user_remote_id, content_hash, record)
     SELECT $1::uuid, 5000000 + 2 * i + k, 1000000 + i, 'h',
            jsonb_build_object('enrollment_id', 5000000 + 2 * i + k, 'module_name', 'Module ' || k, 'content_type', 'Store Purchase',
              'user', jsonb_build_object('id', 1000000 + i, 'email', 'user' || i || '@example.com', 'employee_number', i),
              'campaign_id', 10 + (i % 3), 'store_purchase_id', 7, 'enrollment_date', '2026-01-01T00:00:00.000Z',
              'status', CASE WHEN k = 0 THEN 'Passed' WHEN i % 2 = 0 THEN 'Past Due' ELSE 'In Progress' END)
       FROM generate_series(0, $2 - 1) AS i, generate_series(0, 1) AS k`,
    [accountId, USERS],
  );
  await pool.query(
    `INSERT INTO directory_phishing_campaigns (account_id, remote_id, record, remote_data, content_hash)
     VALUES ($1, 300, '{"id":"300","name":"Baseline","security_test_ids":["900","901"],"groups":[]}', '{"campaign_id":300}', 'h')`,
    [accountId],
  );
  for (const [id, started] of [[900, '2026-01-01T00:00:00.000Z'], [901, '2026-06-01T00:00:00.000Z']] as const) {
    await pool.query(
      `INSERT INTO directory_security_tests (account_id, remote_id, campaign_remote_id, started_at, record, remote_data, content_hash, recipients_content_hash)
       VALUES ($1, $2::bigint, 300, $3, jsonb_build_object('id', $4::text, 'campaign_id', '300', 'counts', jsonb_build_object('exploited', 2, 'vulnerable_plugin', 3)), jsonb_build_object('pst_id', $2::bigint), 'h', 'h')`,
      [accountId, id, started, String(id)],
    );
  }
  // everyone got test 900 (odd users reported it); even users also got 901 and failed it
  await pool.query(
    `INSERT INTO directory_phishing_recipients (account_id, remote_id, test_remote_id, user_remote_id, email_lower, scheduled_at, result, record, remote_data, content_hash)
     SELECT $1::uuid, 7000000 + i, 900, 1000000 + i, 'user' || i || '@example.com', '2026-01-01T00:00:00Z'::timestamptz, CASE WHEN i % 2 = 1 THEN 'reported' ELSE 'no_action' END,
            jsonb_build_object('id', (7000000 + i)::text, 'security_test_id', '900', 'user_id', (1000000 + i)::text, 'scheduled_at', '2026-01-01T00:00:00.000Z',
                               'result', CASE WHEN i % 2 = 1 THEN 'reported' ELSE 'no_action' END), '{}'::jsonb, 'h'
       FROM generate_series(0, $2 - 1) AS i
     UNION ALL
     SELECT $1::uuid, 8000000 + i, 901, 1000000 + i, 'user' || i || '@example.com', '2026-06-01T00:00:00Z'::timestamptz, 'failed',
            jsonb_build_object('id', (8000000 + i)::text, 'security_test_id', '901', 'user_id', (1000000 + i)::text, 'scheduled_at', '2026-06-01T00:00:00.000Z', 'result', 'failed'), '{}'::jsonb, 'h'
       FROM generate_series(0, $2 - 1, 2) AS i`,
    [accountId, USERS],
  );
  await pool.query(
    `INSERT INTO directory_risk_scores (account_id, subject_type, subject_remote_id, day, risk_score)
     SELECT $1::uuid, 'user', 1000000 + i, d.day, (i % 100) + d.bump FROM generate_series(0, $2 - 1) AS i,
            (VALUES ('2026-10-01'::date, 0), ('2026-11-01'::date, 1)) AS d(day, bump)`,
    [accountId, USERS],
  );
  await pool.query(`INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, 41, 'Engineering', '{"name":"Engineering"}', 'h')`, [accountId]);
  await pool.query(`INSERT INTO directory_risk_scores (account_id, subject_type, subject_remote_id, day, risk_score) VALUES ($1, 'group', 41, '2026-11-01', 22.5)`, [accountId]);
  await pool.query(
    `INSERT INTO directory_risk_scores (account_id, subject_type, subject_remote_id, day, risk_score)
     VALUES ($1, 'account', 0, '2026-09-01', 30), ($1, 'account', 0, '2026-10-01', 29.5), ($1, 'account', 0, '2026-11-01', 28)`,
    [accountId],
  );
  await pool.query('ANALYZE');
}
