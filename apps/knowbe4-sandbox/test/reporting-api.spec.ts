import { request } from 'undici';
import { startHarness, type Harness } from './sandbox-client';

describe('Reporting API emulation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.sandbox.close());

  it('pages 1,234 users with per_page 500: every user exactly once, then an empty array', async () => {
    const t = h.tenant({ users: 1234 });
    const seen: number[] = [];
    for (let page = 1; ; page++) {
      const res = await h.reporting(t, `/users?page=${page}&per_page=500`);
      expect(res.status).toBe(200);
      const users = (await res.json()) as { id: number }[];
      if (users.length === 0) break;
      seen.push(...users.map((u) => u.id));
    }
    expect(seen).toHaveLength(1234);
    expect(new Set(seen).size).toBe(1234);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('clamps per_page above 500 and treats page 0 or garbage as page 1', async () => {
    const t = h.tenant({ users: 700 });
    expect(((await (await h.reporting(t, '/users?per_page=900')).json()) as unknown[]).length).toBe(500);
    expect(((await (await h.reporting(t, '/users')).json()) as unknown[]).length).toBe(100);
    const first = (await (await h.reporting(t, '/users?page=1&per_page=3')).json()) as { id: number }[];
    const zero = (await (await h.reporting(t, '/users?page=0&per_page=3')).json()) as { id: number }[];
    const junk = (await (await h.reporting(t, '/users?page=abc&per_page=3')).json()) as { id: number }[];
    expect(zero).toEqual(first);
    expect(junk).toEqual(first);
  });

  it('sends the headers real traffic carries and no paging headers', async () => {
    const t = h.tenant();
    const res = await h.reporting(t, '/users?per_page=5');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers.get('x-runtime')).toMatch(/^\d+\.\d+$/);
    expect(res.headers.get('etag')).toMatch(/^W\//);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    for (const name of ['link', 'x-total-count', 'x-ratelimit-limit', 'retry-after']) expect(res.headers.get(name)).toBeNull();
  });

  it('answers unknown ids with 404 and a message body', async () => {
    const t = h.tenant();
    const res = await h.reporting(t, '/users/123');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found' });
  });

  it('rejects a key on another region, a SCIM token and a missing header with 401 Invalid Token', async () => {
    const t = h.tenant({ region: 'eu' });
    expect((await h.reporting(t, '/account')).status).toBe(200);
    const wrongRegion = await fetch(`${h.sandbox.url}/us/v1/account`, { headers: { authorization: `Bearer ${t.reporting_api_key}` } });
    expect(wrongRegion.status).toBe(401);
    expect(await wrongRegion.json()).toEqual({ message: 'Invalid Token' });
    const scimToken = await fetch(`${t.reporting_base_url}/account`, { headers: { authorization: `Bearer ${t.scim_token}` } });
    expect(scimToken.status).toBe(401);
    expect((await fetch(`${t.reporting_base_url}/account`)).status).toBe(401);
  });

  it('routes plain /v1 by the {region}.api.knowbe4.com Host header', async () => {
    const t = h.tenant({ region: 'ca' });
    const ok = await request(`${h.sandbox.url}/v1/account`, { headers: { host: 'ca.api.knowbe4.com', authorization: `Bearer ${t.reporting_api_key}` } });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const wrong = await request(`${h.sandbox.url}/v1/account`, { headers: { host: 'uk.api.knowbe4.com', authorization: `Bearer ${t.reporting_api_key}` } });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
  });

  it('writes floats with a decimal point and datetimes with .000Z', async () => {
    const t = h.tenant({ users: 200 });
    const text = await (await h.reporting(t, '/users?per_page=200')).text();
    expect(text).toMatch(/"phish_prone_percentage":0\.0[,}]/);
    const users = JSON.parse(text) as Record<string, unknown>[];
    for (const u of users) for (const field of ['joined_on', 'last_sign_in', 'archived_at', 'employee_start_date'])
      if (u[field] !== null) expect(u[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it('keeps employee_number a zero-padded string on users but an integer inside enrollments', async () => {
    const t = h.tenant({ users: 300 });
    const users = (await (await h.reporting(t, '/users?per_page=300')).json()) as { id: number; employee_number: string | null }[];
    const padded = users.find((u) => u.employee_number?.startsWith('0'));
    expect(typeof padded?.employee_number).toBe('string');
    const plain = (await (await h.reporting(t, `/training/enrollments?user_id=${padded!.id}`)).json()) as { user: Record<string, unknown> }[];
    if (plain.length) expect(plain[0].user).not.toHaveProperty('employee_number');
    const all = (await (await h.reporting(t, '/training/enrollments?include_employee_number=true&per_page=500')).json()) as { user: { id: number; employee_number: unknown } }[];
    const mine = all.find((e) => e.user.id === padded!.id);
    if (mine) expect(mine.user.employee_number).toBe(Number.parseInt(padded!.employee_number!, 10));
    expect(all.some((e) => Number.isInteger(e.user.employee_number))).toBe(true);
    expect(all.some((e) => e.user.id > 2 ** 32)).toBe(true);
  });

  it('spells landing_page and gives security-test phish-prone as a fraction', async () => {
    const t = h.tenant();
    const [test] = (await (await h.reporting(t, '/phishing/security_tests?per_page=1')).json()) as Record<string, unknown>[];
    expect(test).toHaveProperty('landing_page');
    expect(test.phish_prone_percentage as number).toBeLessThanOrEqual(1);
    const recipients = (await (await h.reporting(t, `/phishing/security_tests/${String(test.pst_id)}/recipients`)).json()) as { user: { id: number } }[];
    expect(recipients.length).toBeGreaterThan(0);
    const one = await h.reporting(t, `/phishing/security_tests/${String(test.pst_id)}/recipients/${recipients[0].user.id}`);
    expect(one.status).toBe(200);
  });

  it('serves the identity-graph fields KnowBe4 returns, with its types', async () => {
    const t = h.tenant({ users: 800 });
    const tests = (await (await h.reporting(t, '/phishing/security_tests?per_page=500')).json()) as Record<string, unknown>[];
    for (const test of tests) {
      for (const field of ['vulnerable_plugin_count', 'exploited_count', 'qr_code_scanned_count']) expect(Number.isInteger(test[field])).toBe(true);
      expect(test.exploited_count as number).toBeLessThanOrEqual(test.vulnerable_plugin_count as number);
    }
    const recipients: Record<string, unknown>[] = [];
    for (const test of tests) {
      const pst = String(test.pst_id);
      const page = (await (await h.reporting(t, `/phishing/security_tests/${pst}/recipients?per_page=500`)).json()) as Record<string, unknown>[];
      // the test's counts are the recipients' own
      expect(page.filter((r) => r.qr_code_scanned !== null).length).toBe(test.qr_code_scanned_count);
      recipients.push(...page);
    }
    expect(recipients.every((r) => 'qr_code_scanned' in r)).toBe(true);
    expect(recipients.some((r) => typeof r.qr_code_scanned === 'string' && /\.000Z$/.test(r.qr_code_scanned))).toBe(true);
    expect(tests.some((test) => (test.exploited_count as number) > 0)).toBe(true);

    const plain = (await (await h.reporting(t, '/training/enrollments?per_page=5')).json()) as Record<string, unknown>[];
    expect(plain[0]).not.toHaveProperty('campaign_id');
    expect(plain[0]).not.toHaveProperty('store_purchase_id');
    const full = (await (await h.reporting(t, '/training/enrollments?per_page=5&include_campaign_id=true&include_store_purchase_id=true')).json()) as Record<string, unknown>[];
    const purchases = (await (await h.reporting(t, '/training/store_purchases')).json()) as { store_purchase_id: number }[];
    const campaigns = (await (await h.reporting(t, '/training/campaigns?exclude_percentages=true')).json()) as { campaign_id: number }[];
    for (const e of full) {
      expect(Number.isInteger(e.campaign_id)).toBe(true);
      expect(Number.isInteger(e.store_purchase_id)).toBe(true);
      expect(campaigns.map((c) => c.campaign_id)).toContain(e.campaign_id);
      expect(purchases.map((p) => p.store_purchase_id)).toContain(e.store_purchase_id);
    }
  });

  it('serves risk-score history dates in both recorded formats', async () => {
    const t = h.tenant();
    const account = (await (await h.reporting(t, '/account/risk_score_history')).json()) as { date: string }[];
    const [user] = (await (await h.reporting(t, '/users?per_page=1')).json()) as { id: number }[];
    const history = (await (await h.reporting(t, `/users/${user.id}/risk_score_history`)).json()) as { date: string }[];
    expect(account[0].date).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(history[0].date).toMatch(/^\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
    // six months unless full=true, which goes further back with the same recent points
    const full = (await (await h.reporting(t, `/users/${user.id}/risk_score_history?full=true`)).json()) as { date: string }[];
    expect(history).toHaveLength(6);
    expect(full.length).toBeGreaterThan(6);
    expect(full.slice(0, 6)).toEqual(history);
  });

  it('omits subscription fields on a trial account', async () => {
    const trial = (await (await h.reporting(h.tenant({ trial: true }), '/account')).json()) as Record<string, unknown>;
    const paid = (await (await h.reporting(h.tenant(), '/account')).json()) as Record<string, unknown>;
    for (const field of ['subscription_level', 'subscription_end_date', 'number_of_seats']) {
      expect(trial).not.toHaveProperty(field);
      expect(paid).toHaveProperty(field);
    }
  });

  it('puts nulls, orphaned enrollments and repeated modules into a dirty tenant', async () => {
    const t = h.tenant({ users: 300, dirty: true });
    const users = (await (await h.reporting(t, '/users?per_page=500')).json()) as unknown[];
    expect(users).toContain(null);
    const enrollments = (await (await h.reporting(t, '/training/enrollments?per_page=500')).json()) as { user: { id: number; email: string | null }; module_name: string }[];
    const pages = [enrollments];
    for (let p = 2; pages[pages.length - 1].length === 500; p++)
      pages.push((await (await h.reporting(t, `/training/enrollments?per_page=500&page=${p}`)).json()) as typeof enrollments);
    const all = pages.flat();
    expect(all.some((e) => e.user.email === null)).toBe(true);
    const keys = all.map((e) => `${e.user.id}:${e.module_name}`);
    expect(new Set(keys).size).toBeLessThan(keys.length);
  });

  it('caps training campaigns at 10 unless exclude_percentages=true', async () => {
    const t = h.tenant();
    const capped = (await (await h.reporting(t, '/training/campaigns')).json()) as Record<string, unknown>[];
    const all = (await (await h.reporting(t, '/training/campaigns?exclude_percentages=true')).json()) as Record<string, unknown>[];
    expect(capped).toHaveLength(10);
    expect(all.length).toBeGreaterThan(10);
    expect(capped[0]).toHaveProperty('completion_percentage');
    expect(all[0]).not.toHaveProperty('completion_percentage');
  });

  it('walks enrollments in cursor mode until the cursor is empty, matching page mode', async () => {
    const t = h.tenant({ users: 120 });
    const paged = (await (await h.reporting(t, '/training/enrollments?per_page=500')).json()) as { enrollment_id: number }[];
    const ids: number[] = [];
    let cursor = 'true';
    for (;;) {
      const body = (await (await h.reporting(t, `/training/enrollments?per_page=50&cursor=${cursor}`)).json()) as { data: { enrollment_id: number }[]; _metadata: { next_cursor: string } };
      ids.push(...body.data.map((e) => e.enrollment_id));
      if (!body._metadata.next_cursor) break;
      cursor = body._metadata.next_cursor;
    }
    expect(ids).toEqual(paged.map((e) => e.enrollment_id));
  });

  it('filters users by status and group and expands groups', async () => {
    const t = h.tenant({ users: 400 });
    const archived = (await (await h.reporting(t, '/users?status=archived&per_page=500')).json()) as { status: string; archived_at: string }[];
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.every((u) => u.status === 'archived' && u.archived_at)).toBe(true);
    const [group] = (await (await h.reporting(t, '/groups?per_page=1')).json()) as { id: number; member_count: number }[];
    const members = (await (await h.reporting(t, `/groups/${group.id}/members?per_page=500`)).json()) as { groups: number[] }[];
    const inGroup = (await (await h.reporting(t, `/users?group_id=${group.id}&per_page=500`)).json()) as unknown[];
    expect(members).toHaveLength(group.member_count);
    expect(inGroup).toHaveLength(group.member_count);
    const [expanded] = (await (await h.reporting(t, '/users?expand=group&per_page=1')).json()) as { groups: { id: number; name: string }[] }[];
    expect(typeof expanded.groups[0].name).toBe('string');
  });

  it('renders identical JSON for the same seed', async () => {
    const a = h.tenant({ seed: 42, users: 250 });
    const b = h.tenant({ seed: 42, users: 250 });
    for (const path of ['/users?per_page=500', '/groups', '/training/enrollments?per_page=500', '/phishing/campaigns', '/account'])
      expect(await (await h.reporting(a, path)).text()).toBe(await (await h.reporting(b, path)).text());
    const c = h.tenant({ seed: 43, users: 250 });
    expect(await (await h.reporting(c, '/users?per_page=5')).text()).not.toBe(await (await h.reporting(a, '/users?per_page=5')).text());
  });

  it('can answer group risk-score history with 500 when the tenant opts in', async () => {
    const t = h.tenant({ group_risk_history_error_rate: 1 });
    const [group] = (await (await h.reporting(t, '/groups?per_page=1')).json()) as { id: number }[];
    expect((await h.reporting(t, `/groups/${group.id}/risk_score_history`)).status).toBe(500);
    const calm = h.tenant();
    const [g2] = (await (await h.reporting(calm, '/groups?per_page=1')).json()) as { id: number }[];
    expect((await h.reporting(calm, `/groups/${g2.id}/risk_score_history`)).status).toBe(200);
  });
});
