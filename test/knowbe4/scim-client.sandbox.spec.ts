import { startSandbox, type RunningSandbox, type TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import {
  KnowBe4AuthError,
  ReportingClient,
  ScimClient,
  ScimConflictError,
  seededRandom,
  type KnowBe4User,
} from '@kb4/knowbe4';
import { SCIM_ENTERPRISE_USER_SCHEMA } from '@kb4/mapping';

describe('ScimClient against the KnowBe4 sandbox', () => {
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  let scim: ScimClient;
  let reporting: ReportingClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    // Promise.resolve: the agreed contract is async, the sandbox answers synchronously today.
    tenant = await Promise.resolve(sandbox.createTenant({ seed: 21, users: 40, region: 'de', rate_limit_profile: 'off' }));
    const retry = { random: seededRandom(2), baseDelayMs: 10, maxDelayMs: 100 };
    scim = new ScimClient({ baseUrl: tenant.scim_base_url, token: tenant.scim_token, retry });
    reporting = new ReportingClient({
      region: tenant.region,
      apiKey: tenant.reporting_api_key,
      baseUrlOverride: sandbox.url,
      pacer: 'off',
      retry,
    });
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });

  const reportingUserByEmail = async (email: string): Promise<KnowBe4User | undefined> => {
    for await (const user of reporting.users()) if (user.email.toLowerCase() === email.toLowerCase()) return user;
    return undefined;
  };

  it('verifies the token, and reports a wrong one as an auth failure', async () => {
    await expect(scim.verifyCredentials()).resolves.toMatchObject({ ok: true });
    const wrong = new ScimClient({ baseUrl: tenant.scim_base_url, token: 'not-the-token' });
    const result = await wrong.verifyCredentials();
    expect(result).toMatchObject({ ok: false, reason: 'auth' });
    expect(result.ok === false && result.error).toBeInstanceOf(KnowBe4AuthError);
  });

  it('answers a duplicate create with ScimConflictError (409) carrying the existing user', async () => {
    const created = await scim.createUser({
      userName: 'dup.person@example.com',
      name: { givenName: 'Dup', familyName: 'Person' },
      emails: [{ value: 'dup.person@example.com', type: 'work', primary: true }],
      [SCIM_ENTERPRISE_USER_SCHEMA]: { department: 'Security' },
    });
    expect(created.id).toEqual(expect.any(String));
    const error = (await scim.createUser({ userName: 'dup.person@example.com' }).catch((e: unknown) => e)) as ScimConflictError;
    expect(error).toBeInstanceOf(ScimConflictError);
    expect(error.status).toBe(409);
    expect(error.existing).toMatchObject({ id: created.id, userName: 'dup.person@example.com' });
  });

  it('archives through PATCH active=false, and the Reporting API then shows the user archived', async () => {
    const created = await scim.createUser({ userName: 'leaver@example.com', name: { givenName: 'Lea', familyName: 'Ver' } });
    const before = await reportingUserByEmail('leaver@example.com');
    expect(before?.status).toBe('active');
    const archived = await scim.archiveUser(created.id!);
    expect(archived.active).toBe(false);
    const after = await reporting.getUser(before!.id);
    expect(after.status).toBe('archived');
  });

  it('finds a user by a userName containing double quotes, an apostrophe and a backslash', async () => {
    const odd = '"o\'brien\\x"@example.com';
    const created = await scim.createUser({ userName: odd, name: { givenName: 'O', familyName: 'Brien' } });
    const found = await scim.findUserByUserName(odd);
    expect(found?.id).toBe(created.id);
    await expect(scim.findUserByUserName('nobody@example.com')).resolves.toBeUndefined();
  });

  it('creates a group, adds and removes members', async () => {
    const alice = await scim.createUser({ userName: 'alice.group@example.com' });
    const bob = await scim.createUser({ userName: 'bob.group@example.com' });
    const group = await scim.createGroup({ displayName: 'Phish Champions' });
    await scim.addGroupMembers(group.id!, [alice.id!, bob.id!]);
    expect((await scim.getGroup(group.id!)).members?.map((m) => m.value).sort()).toEqual([alice.id, bob.id].sort());
    await scim.removeGroupMembers(group.id!, [alice.id!]);
    expect((await scim.getGroup(group.id!)).members?.map((m) => m.value)).toEqual([bob.id]);
  });

  it('pages every SCIM user with startIndex/count', async () => {
    const ids: string[] = [];
    for await (const user of scim.listUsers({ count: 7 })) ids.push(user.id!);
    expect(ids.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('retries a create hit by 503s without creating the user twice', async () => {
    const response = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ path_prefix: '/scim/v2/Users', method: 'POST', statuses: [503], times: 2 }] }),
    });
    expect(response.ok).toBe(true);
    const created = await scim.createUser({ userName: 'flaky.create@example.com' });
    expect(created.userName).toBe('flaky.create@example.com');
    const matches: string[] = [];
    for await (const user of scim.listUsers({ filter: 'userName eq "flaky.create@example.com"' })) matches.push(user.id!);
    expect(matches).toEqual([created.id]);
  });
});
