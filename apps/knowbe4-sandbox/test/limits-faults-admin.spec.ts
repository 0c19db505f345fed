import type { TenantCredentials } from '../src/store/sandbox-store';
import { startHarness, type Doc, type Harness } from './sandbox-client';

describe('rate limits, fault injection and the admin API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(() => h.admin('/faults', 'DELETE'));
  afterAll(() => h.sandbox.close());

  it('documented profile: the fifth request within a second is 429 with no Retry-After or rate headers', async () => {
    const t = h.tenant({ rate_limit_profile: 'documented' });
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await h.reporting(t, '/account');
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses[4]).toBe(429);
    expect(limited!.headers.get('retry-after')).toBeNull();
    expect(limited!.headers.get('x-ratelimit-limit')).toBeNull();
    await h.admin(`/tenants/${t.id}/rate-limit/reset`, 'POST');
    expect((await h.reporting(t, '/account')).status).toBe(200);
  });

  it('seed profile: X-RateLimit headers count down from 1000 per minute', async () => {
    const t = h.tenant({ rate_limit_profile: 'seed' });
    const first = await h.reporting(t, '/account');
    const second = await h.reporting(t, '/account');
    expect(first.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('999');
    expect(second.headers.get('x-ratelimit-remaining')).toBe('998');
    expect(second.headers.get('retry-after')).toBeNull();
  });

  it('switches a tenant profile at runtime', async () => {
    const t = h.tenant({ rate_limit_profile: 'documented' });
    expect((await h.admin(`/tenants/${t.id}/rate-limit`, 'PUT', { profile: 'off' })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await h.reporting(t, '/account')).status).toBe(200);
  });

  it('injects errors for the next N matching requests only', async () => {
    const t = h.tenant();
    const put = await h.admin('/faults', 'PUT', { rules: [{ path_prefix: '/v1/users', statuses: [503], times: 2 }] });
    expect(put.status).toBe(200);
    expect((await h.reporting(t, '/users')).status).toBe(503);
    expect((await h.reporting(t, '/groups')).status).toBe(200);
    expect((await h.reporting(t, '/users')).status).toBe(503);
    expect((await h.reporting(t, '/users')).status).toBe(200);
  });

  it('repeats a seeded random fault sequence exactly', async () => {
    const t = h.tenant();
    const run = async (): Promise<number[]> => {
      await h.admin('/faults', 'PUT', { seed: 7, rules: [{ path_prefix: '/scim/v2/Users', error_rate: 0.5, statuses: [500, 429] }] });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await h.scim(t, '/Users?count=1')).status);
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.some((s) => s === 200)).toBe(true);
    expect(first.some((s) => s !== 200)).toBe(true);
  });

  it('drops the connection and adds latency when told to', async () => {
    const t = h.tenant();
    await h.admin('/faults', 'PUT', { rules: [{ path_prefix: '/v1/account', drop_rate: 1, times: 1 }] });
    await expect(h.reporting(t, '/account')).rejects.toThrow();
    await h.admin('/faults', 'PUT', { rules: [{ tenant_id: t.id, latency_ms: 120 }] });
    const started = Date.now();
    expect((await h.reporting(t, '/account')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('creates, lists, resets and deletes tenants with chosen credentials', async () => {
    const res = await h.admin('/tenants', 'POST', { seed: 5, users: 12, region: 'uk', reporting_api_key: 'rep-key-uk', scim_token: 'scim-tok-uk' });
    expect(res.status).toBe(201);
    const creds = (await res.json()) as Doc;
    expect(creds).toMatchObject({ region: 'uk', users: 12, reporting_api_key: 'rep-key-uk', reporting_base_url: `${h.sandbox.url}/uk/v1`, scim_base_url: `${h.sandbox.url}/scim/v2` });
    expect((await h.admin('/tenants', 'POST', { region: 'mars' })).status).toBe(400);
    const list = (await (await h.admin('/tenants')).json()) as { id: string }[];
    expect(list.map((x) => x.id)).toContain(creds.id);
    const users = (await (await fetch(`${creds.reporting_base_url}/users`, { headers: { authorization: 'Bearer rep-key-uk' } })).json()) as { id: number }[];
    await h.admin(`/tenants/${creds.id}/users/${users[0].id}`, 'DELETE');
    expect((await h.admin(`/tenants/${creds.id}`)).status).toBe(200);
    const reset = (await (await h.admin(`/tenants/${creds.id}/reset`, 'POST')).json()) as Doc;
    expect(reset.users).toBe(12);
    expect((await h.admin(`/tenants/${creds.id}`, 'DELETE')).status).toBe(204);
    expect((await fetch(`${creds.reporting_base_url}/users`, { headers: { authorization: 'Bearer rep-key-uk' } })).status).toBe(401);
  });

  it('rotates credentials as the console regenerates them: the old key answers 401, the new one works', async () => {
    const t = h.tenant({ users: 3 });
    const rotated = (await (await h.admin(`/tenants/${t.id}/credentials/rotate`, 'POST', { rotate: ['reporting'] })).json()) as TenantCredentials;
    expect(rotated.reporting_api_key).not.toBe(t.reporting_api_key);
    expect(rotated.scim_token).toBe(t.scim_token);
    expect((await h.reporting(t, '/account')).status).toBe(401);
    expect((await h.reporting(rotated, '/account')).status).toBe(200);
    expect((await h.scim(t, '/Users?count=1')).status).toBe(200);

    const chosen = (await (await h.admin(`/tenants/${t.id}/credentials/rotate`, 'POST', { scim_token: 'scim-token-chosen' })).json()) as TenantCredentials;
    expect(chosen.scim_token).toBe('scim-token-chosen');
    expect(chosen.reporting_api_key).not.toBe(rotated.reporting_api_key);
    expect((await h.scim(t, '/Users?count=1')).status).toBe(401);
    expect((await h.scim(chosen, '/Users?count=1')).status).toBe(200);

    expect((await h.admin(`/tenants/${t.id}/credentials/rotate`, 'POST', { rotate: ['ldap'] })).status).toBe(400);
    expect((await h.admin(`/tenants/${t.id}/credentials/rotate`, 'POST', { reporting_api_key: chosen.scim_token, rotate: ['reporting'] })).status).toBe(400);
    expect((await h.admin('/tenants/nope/credentials/rotate', 'POST', {})).status).toBe(404);
  });

  it('applies console edits with Reporting field names', async () => {
    const t = h.tenant({ users: 10 });
    const created = (await (await h.admin(`/tenants/${t.id}/users`, 'POST', { email: 'Console.User@example.com', first_name: 'Con', department: 'IT' })).json()) as Doc;
    expect(created).toMatchObject({ email: 'console.user@example.com', provisioning_managed: false, status: 'active' });
    await h.admin(`/tenants/${t.id}/users/${created.id}`, 'PATCH', { status: 'archived', job_title: 'Admin' });
    expect((await (await h.reporting(t, `/users/${created.id}`)).json()) as Doc).toMatchObject({ status: 'archived', job_title: 'Admin' });
    await h.admin(`/tenants/${t.id}/users/${created.id}`, 'PATCH', { status: 'active' });
    expect((await (await h.reporting(t, `/users/${created.id}`)).json()) as Doc).toMatchObject({ status: 'active', archived_at: null });
    await h.admin(`/tenants/${t.id}/users/${created.id}/risk`, 'PATCH', { phish_prone_percentage: 12.5, current_risk_score: 40 });
    expect(await (await h.reporting(t, `/users/${created.id}`)).text()).toContain('"current_risk_score":40.0');
    expect((await h.admin(`/tenants/${t.id}/users/${created.id}`, 'PATCH', { bogus: 1 })).status).toBe(400);
    const group = (await (await h.admin(`/tenants/${t.id}/groups`, 'POST', { name: 'Console Group' })).json()) as Doc;
    await h.admin(`/tenants/${t.id}/groups/${group.id}/members/${created.id}`, 'PUT');
    expect(((await (await h.reporting(t, `/groups/${group.id}/members`)).json()) as { id: number }[]).map((u) => u.id)).toEqual([created.id]);
    await h.admin(`/tenants/${t.id}/users/${created.id}`, 'DELETE');
    expect((await h.reporting(t, `/users/${created.id}`)).status).toBe(404);
  });

  it('applies the same seeded console mutations to identical tenants', async () => {
    const a = h.tenant({ seed: 9, users: 200, id: 'mut-a' });
    const b = h.tenant({ seed: 9, users: 200, id: 'mut-b' });
    const changesA = (await (await h.admin(`/tenants/${a.id}/mutations`, 'POST', { seed: 3, count: 40 })).json()) as { changes: { kind: string }[] };
    const changesB = (await (await h.admin(`/tenants/${b.id}/mutations`, 'POST', { seed: 3, count: 40 })).json()) as { changes: { kind: string }[] };
    expect(changesA.changes.length).toBeGreaterThan(20);
    expect(changesB.changes.map((c) => c.kind)).toEqual(changesA.changes.map((c) => c.kind));
    const kinds = new Set(changesA.changes.map((c) => c.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(5);
  });

  it('reports health', async () => {
    expect(await (await h.admin('/health')).json()).toMatchObject({ status: 'ok' });
  });
});
