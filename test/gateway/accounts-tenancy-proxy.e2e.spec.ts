import { ReportingClient } from '@kb4/knowbe4';
import { CredentialCipher, WorkspaceRepository, createDataSource } from '@kb4/persistence';
import type { Pool } from 'pg';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { call, createTenant, GatewayProcess, SandboxGatewayStack, startSandboxGateway, Tenant } from './support/gateway-harness';
import { seedGroups, seedMemberships, seedUsers } from './support/mirror-fixture';
import { rawRequest } from './support/raw-http';

/**
 * Integrated accounts against the sandbox, tenant isolation, the proxy, and secrets: one gateway process with
 * verbose logs, whose whole output is checked for every secret at the end.
 */
describe('integrated accounts, tenancy and proxy (gateway process + sandbox)', () => {
  let pool: Pool;
  let sandbox: RunningSandbox;
  let kb4: TenantCredentials;
  let gateway: GatewayProcess;
  let workspaceA: { id: string; apiKey: string };
  let tenantB: Tenant;
  let accountA: string;
  let stack: SandboxGatewayStack | undefined;
  const credentialsKey = CredentialCipher.generateKey();

  beforeAll(async () => {
    stack = await startSandboxGateway({
      databasePrefix: 'gw_accounts',
      credentialsKey,
      sandboxTenant: { seed: 7, users: 60, region: 'eu' },
      env: { LOG_LEVEL: 'trace' },
      prepare: async (ready) => {
        const dataSource = await createDataSource(ready.database.url).initialize();
        try {
          const workspaces = new WorkspaceRepository(dataSource);
          const workspace = await workspaces.createWorkspace('Workspace A');
          workspaceA = { id: workspace.id, apiKey: (await workspaces.issueApiKey(workspace.id)).key };
        } finally {
          await dataSource.destroy();
        }
        tenantB = await createTenant(ready.database.url, credentialsKey);
      },
    });
    ({ pool, sandbox, kb4, gateway } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const asA = (path: string, options: { method?: string; body?: unknown } = {}) => call(gateway.url, path, { apiKey: workspaceA.apiKey, ...options });
  const asB = (path: string, options: { method?: string; body?: unknown } = {}) => call(gateway.url, path, { apiKey: tenantB.apiKey, ...options });

  it('connects an account only after KnowBe4 accepted both credentials, and never returns them', async () => {
    const created = await asA('/integrated-accounts', {
      method: 'POST',
      body: { label: 'Acme EU', region: 'eu', reporting_api_key: kb4.reporting_api_key, scim_token: kb4.scim_token },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ label: 'Acme EU', region: 'eu', status: 'active' });
    expect(created.text).not.toContain(kb4.reporting_api_key);
    expect(created.text).not.toContain(kb4.scim_token);
    accountA = created.body.id;

    const { rows } = await pool.query('SELECT row_to_json(a)::text AS row FROM integrated_accounts a WHERE id = $1', [accountA]);
    expect(rows[0].row).not.toContain(kb4.reporting_api_key);
    expect(rows[0].row).not.toContain(kb4.scim_token);
    expect(rows[0].row).toContain('"credentials_key_id"');

    const listed = await asA('/integrated-accounts');
    expect(listed.body.result.map((a: { id: string }) => a.id)).toEqual([accountA]);
    expect(listed.text).not.toContain(kb4.scim_token);
  });

  it('says the region is wrong, and which one is right, when the Reporting key is used in another region', async () => {
    const wrong = await asA('/integrated-accounts', {
      method: 'POST',
      body: { label: 'Acme', region: 'us', reporting_api_key: kb4.reporting_api_key, scim_token: kb4.scim_token },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.message).toContain('reporting_api_key');
    expect(wrong.body.message).toContain('belongs to region "eu"');
    expect(wrong.body.details).toEqual([expect.objectContaining({ credential: 'reporting_api_key', reason: 'auth' })]);
    expect(wrong.body.truto_is_remote_error).toBe(true);
    expect(wrong.body.raw_response.status).toBe(401);
  });

  it('names the SCIM token when only it is rejected, and an invalid key as invalid in every region', async () => {
    const badToken = await asA('/integrated-accounts', {
      method: 'POST',
      body: { label: 'Acme', region: 'eu', reporting_api_key: kb4.reporting_api_key, scim_token: 'not-a-token' },
    });
    expect(badToken.status).toBe(422);
    expect(badToken.body.details.map((d: { credential: string }) => d.credential)).toEqual(['scim_token']);
    const badKey = await asA('/integrated-accounts', {
      method: 'POST',
      body: { label: 'Acme', region: 'eu', reporting_api_key: 'not-a-key', scim_token: kb4.scim_token },
    });
    expect(badKey.status).toBe(422);
    expect(badKey.body.message).toContain('rejected in every region');
    const invalid = await asA('/integrated-accounts', { method: 'POST', body: { label: '', region: 'mars', extra: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain('unknown body field(s): extra');
    expect(invalid.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['label', 'region', 'reporting_api_key', 'scim_token']));
    expect((await asA('/integrated-accounts')).body.result_count).toBe(1);
  });

  it('serves the connected account\'s mirror and reads through to KnowBe4 with fresh=true', async () => {
    const reporting = new ReportingClient({ region: 'eu', apiKey: kb4.reporting_api_key, baseUrlOverride: sandbox.url, pacer: 'off' });
    const users = [];
    for await (const page of reporting.pagesOfUsers({ per_page: 500 })) users.push(...page);
    const groups = [];
    for await (const group of reporting.listGroups()) groups.push(group);
    await seedGroups(pool, accountA, groups);
    await seedUsers(pool, accountA, users, new Map(groups.map((g) => [String(g.id), g.name])));
    await seedMemberships(pool, accountA, users);

    const list = await asA(`/unified/user-directory/users?integrated_account_id=${accountA}&limit=500`);
    expect(list.status).toBe(200);
    expect(list.body.result_count).toBe(users.length);
    const groupList = await asA(`/unified/user-directory/groups?integrated_account_id=${accountA}`);
    expect(groupList.body.result_count).toBe(groups.length);
    const withMembers = groups.find((g) => (g.member_count ?? 0) > 0)!;
    const members = await asA(`/unified/user-directory/groups/${withMembers.id}/members?integrated_account_id=${accountA}&limit=500`);
    expect(members.status).toBe(200);
    expect(members.body.result.every((u: { groups: Array<{ id: string }> }) => u.groups.some((g) => g.id === String(withMembers.id)))).toBe(true);
    const byFilter = await asA(`/unified/user-directory/users?integrated_account_id=${accountA}&group_id=${withMembers.id}&limit=500`);
    expect(byFilter.body.result.map((u: { id: string }) => u.id)).toEqual(members.body.result.map((u: { id: string }) => u.id));

    const target = users[0];
    await fetch(`${sandbox.url}/_sandbox/tenants/${kb4.id}/users/${target.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job_title: 'Chief Fresh Officer' }),
    });
    const mirrored = await asA(`/unified/user-directory/users/${target.id}?integrated_account_id=${accountA}`);
    expect(mirrored.body.title).not.toBe('Chief Fresh Officer');
    const fresh = await asA(`/unified/user-directory/users/${target.id}?integrated_account_id=${accountA}&fresh=true`);
    expect(fresh.status).toBe(200);
    expect(fresh.body.title).toBe('Chief Fresh Officer');
    const gone = await asA(`/unified/user-directory/users/999999999999?integrated_account_id=${accountA}&fresh=true`);
    expect(gone.status).toBe(404);
  });

  it('proxies Reporting GETs and SCIM calls 1:1 with the account\'s credentials, upstream errors included', async () => {
    const users = await asA(`/proxy/${accountA}/reporting/users?per_page=2&page=1`);
    expect(users.status).toBe(200);
    expect(users.body).toHaveLength(2);
    const scim = await asA(`/proxy/${accountA}/scim/Users?count=1`);
    expect(scim.status).toBe(200);
    expect(scim.body.Resources).toHaveLength(1);
    const body = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'proxy.created@example.com', name: { givenName: 'Proxy', familyName: 'Created' }, emails: [{ value: 'proxy.created@example.com', primary: true }] };
    const created = await call(gateway.url, `/proxy/${accountA}/scim/Users`, { apiKey: workspaceA.apiKey, method: 'POST', body, headers: { 'content-type': 'application/scim+json' } });
    expect(created.status).toBe(201);
    const duplicate = await asA(`/proxy/${accountA}/scim/Users`, { method: 'POST', body });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ statusCode: 409, truto_is_remote_error: true, truto_error_insight: 'conflict_error', raw_response: { status: 409 } });
    const missing = await asA(`/proxy/${accountA}/reporting/users/123456789012`);
    expect(missing.status).toBe(404);
    expect(missing.body.truto_is_remote_error).toBe(true);
    const post = await asA(`/proxy/${accountA}/reporting/users`, { method: 'POST', body: {} });
    expect(post.status).toBe(405);
  });

  it.each([
    '/reporting/../../_sandbox/tenants',
    '/reporting/%2e%2e/%2e%2e/_sandbox/tenants',
    '/reporting/users/%2F..%2F..%2F_sandbox',
    '/reporting//evil.example.com/v1/users',
    '/reporting/http:%2F%2Fevil.example.com',
    '/reporting/users\\..\\..\\_sandbox',
    '/reporting/%252e%252e/_sandbox',
    '/scim/./Users',
    '/scim/Users/..',
  ])('refuses the proxy path %s without calling anywhere else', async (suffix) => {
    const response = await rawRequest(gateway.url, `/proxy/${accountA}${suffix}`, { headers: { authorization: `Bearer ${workspaceA.apiKey}` } });
    expect([400, 404]).toContain(response.status);
    const body = JSON.parse(response.body);
    expect(body.request_id).toEqual(expect.any(String));
    expect(response.body).not.toContain('"tenants"');
  });

  it('queues one manual sync at a time and lists the runs', async () => {
    const first = await asA(`/integrated-accounts/${accountA}/sync`, { method: 'POST' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'queued', trigger: 'manual', integrated_account_id: accountA });
    const again = await asA(`/integrated-accounts/${accountA}/sync`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const runs = await asA(`/integrated-accounts/${accountA}/sync-runs`);
    expect(runs.body.result.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
  });

  it('answers 404 to workspace B for everything of workspace A', async () => {
    const userId = (await asA(`/unified/user-directory/users?integrated_account_id=${accountA}&limit=1`)).body.result[0].id;
    const groupId = (await asA(`/unified/user-directory/groups?integrated_account_id=${accountA}&limit=1`)).body.result[0].id;
    const { rows } = await pool.query(
      `INSERT INTO operations (workspace_id, account_id, kind, status, target_key, request) VALUES ($1, $2, 'user.create', 'queued', 'k', '{}') RETURNING id`,
      [workspaceA.id, accountA],
    );
    const operationId = rows[0].id;
    const probes: Array<[string, string]> = [
      ['GET', `/integrated-accounts/${accountA}`],
      ['PATCH', `/integrated-accounts/${accountA}`],
      ['DELETE', `/integrated-accounts/${accountA}`],
      ['POST', `/integrated-accounts/${accountA}/sync`],
      ['GET', `/integrated-accounts/${accountA}/sync-runs`],
      ['GET', `/unified/user-directory/users?integrated_account_id=${accountA}`],
      ['GET', `/unified/user-directory/users/${userId}?integrated_account_id=${accountA}`],
      ['GET', `/unified/user-directory/users/${userId}?integrated_account_id=${accountA}&fresh=true`],
      ['GET', `/unified/user-directory/groups?integrated_account_id=${accountA}`],
      ['GET', `/unified/user-directory/groups/${groupId}?integrated_account_id=${accountA}`],
      ['GET', `/unified/user-directory/groups/${groupId}/members?integrated_account_id=${accountA}`],
      ['GET', `/operations/${operationId}`],
      ['GET', `/proxy/${accountA}/reporting/users`],
      ['GET', `/proxy/${accountA}/scim/Users`],
      ['DELETE', `/proxy/${accountA}/scim/Users/whatever`],
    ];
    for (const [method, path] of probes) {
      const response = await asB(path, { method, body: method === 'PATCH' ? { label: 'mine now' } : undefined });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(response.body.request_id).toEqual(expect.any(String));
    }
    expect((await asB('/integrated-accounts')).body.result.map((a: { id: string }) => a.id)).toEqual([tenantB.accountId]);
    // A still owns it, unchanged
    expect((await asA(`/integrated-accounts/${accountA}`)).body.label).toBe('Acme EU');
  });

  it('puts normalized rate-limit headers on responses and 401s without a valid key', async () => {
    const ok = await asA('/integrated-accounts');
    expect(Number(ok.headers.get('ratelimit-limit'))).toBeGreaterThan(0);
    expect(ok.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
    expect(ok.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
    const anonymous = await call(gateway.url, '/integrated-accounts');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('ratelimit-limit')).not.toBeNull();
    expect(anonymous.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', request_id: expect.any(String) });
  });

  it('wrote no secret to its logs during the whole flow', async () => {
    await asA(`/integrated-accounts/${accountA}`, { method: 'PATCH', body: { reporting_api_key: kb4.reporting_api_key, label: 'Acme EU' } });
    const logs = gateway.output();
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of [kb4.reporting_api_key, kb4.scim_token, workspaceA.apiKey, tenantB.apiKey, credentialsKey]) {
      expect(logs.includes(secret)).toBe(false);
    }
  });
});
