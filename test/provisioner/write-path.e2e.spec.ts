import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from './support/provisioning-stack';

jest.setTimeout(90_000);

describe('write path: gateway → outbox → Kafka → provisioner → SCIM → mirror', () => {
  let stack: ProvisioningStack;
  const usersPath = (): string => `/unified/user-directory/users?integrated_account_id=${stack.accountId}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_prov_write');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function scimUser(userName: string): Promise<Record<string, unknown> | undefined> {
    const response = await fetch(`${stack.tenant.scim_base_url}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
      headers: { authorization: `Bearer ${stack.tenant.scim_token}` },
    });
    const list = (await response.json()) as { Resources: Array<Record<string, unknown>> };
    return list.Resources[0];
  }

  async function reportingUsers(): Promise<Array<Record<string, unknown>>> {
    const response = await fetch(`${stack.tenant.reporting_base_url}/users?per_page=500`, {
      headers: { authorization: `Bearer ${stack.tenant.reporting_api_key}` },
    });
    return (await response.json()) as Array<Record<string, unknown>>;
  }

  it('creates a user: 202, the operation succeeds, and SCIM, Reporting and the unified read all show it', async () => {
    const accepted = await api(stack, 'POST', usersPath(), {
      body: { username: 'Grace.Hopper@example.com', first_name: 'Grace', last_name: 'Hopper', department: 'Navy', title: 'Rear Admiral' },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/operations/${accepted.body.id as string}`);
    expect(accepted.body).toMatchObject({ status: 'queued', type: 'user.create', attempts: 0 });

    const done = await finishedOperation(stack, accepted.body.id as string);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_created' } });
    const scimId = (done.scim_response as { scim_id: string }).scim_id;
    expect(done.result).toMatchObject({ id: scimId, username: 'grace.hopper@example.com', department: 'Navy', status: 'active' });

    expect(await scimUser('grace.hopper@example.com')).toMatchObject({ id: scimId, title: 'Rear Admiral', active: true });
    expect((await reportingUsers()).find((u) => u.email === 'grace.hopper@example.com')).toMatchObject({ department: 'Navy', status: 'active' });
    const read = await api(stack, 'GET', `/unified/user-directory/users/${scimId}?integrated_account_id=${stack.accountId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: scimId, first_name: 'Grace', department: 'Navy' });
  });
});
