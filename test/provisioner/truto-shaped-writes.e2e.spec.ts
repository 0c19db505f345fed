import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from './support/provisioning-stack';

jest.setTimeout(90_000);

describe('Truto-shaped user writes through gateway, provisioner and the sandbox\'s SCIM', () => {
  let stack: ProvisioningStack;
  const usersPath = (): string => `/unified/user-directory/users?integrated_account_id=${stack.accountId}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_truto_writes');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function scimUser(userName: string): Promise<Record<string, unknown> | undefined> {
    const response = await fetch(`${stack.tenant.scim_base_url}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
      headers: { authorization: `Bearer ${stack.tenant.scim_token}` },
    });
    return ((await response.json()) as { Resources: Array<Record<string, unknown>> }).Resources[0];
  }

  it('creates a user from Truto\'s unified email shape (no type): the primary email is the work login', async () => {
    const accepted = await api(stack, 'POST', usersPath(), {
      body: { emails: [{ email: 'Katherine.Johnson@example.com', is_primary: true }], first_name: 'Katherine', external_id: '000314' },
    });
    expect(accepted.status).toBe(202);
    const done = await finishedOperation(stack, accepted.body.id as string);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_created' } });
    expect(done.result).toMatchObject({ username: 'katherine.johnson@example.com', emails: [{ email: 'katherine.johnson@example.com', type: 'work', is_primary: true }] });
    expect(await scimUser('katherine.johnson@example.com')).toMatchObject({ name: { givenName: 'Katherine' } });

    // the mirror answers the lookup by employee number right after success
    const found = await api<{ result: Array<Record<string, unknown>> }>(stack, 'GET', `${usersPath()}&external_id=000314`);
    expect(found.status).toBe(200);
    expect(found.body.result).toEqual([expect.objectContaining({ username: 'katherine.johnson@example.com', external_id: '000314' })]);
  });

  it('takes an update with typeless emails too', async () => {
    const created = await finishedOperation(stack, (await api(stack, 'POST', usersPath(), { body: { username: 'dorothy@example.com' } })).body.id as string);
    const id = (created.scim_response as { scim_id: string }).scim_id;
    const patched = await api(stack, 'PATCH', `/unified/user-directory/users/${id}?integrated_account_id=${stack.accountId}`, {
      body: { emails: [{ email: 'dorothy.vaughan@example.com', is_primary: true }] },
      headers: { prefer: 'wait=20' },
    });
    expect(patched.body).toMatchObject({ status: 'succeeded', result: { username: 'dorothy.vaughan@example.com' } });
    expect(await scimUser('dorothy.vaughan@example.com')).toMatchObject({ id });
  });

  it('still refuses an explicit alias, an unknown email type and a null type with 400, and writes nothing', async () => {
    const bodies = [
      { emails: [{ email: 'mary@example.com', is_primary: true }, { email: 'mj@example.com', type: 'alias', is_primary: false }] },
      { emails: [{ email: 'mary@example.com', type: 'home', is_primary: true }] },
      { emails: [{ email: 'mary@example.com', type: null, is_primary: true }] },
    ];
    for (const body of bodies) {
      const refused = await api(stack, 'POST', usersPath(), { body });
      expect(refused.status).toBe(400);
    }
    const alias = await api(stack, 'POST', usersPath(), { body: bodies[0] });
    expect(alias.body.message).toContain('email aliases cannot be written');
    expect(await scimUser('mary@example.com')).toBeUndefined();
  });

  it('documents the KnowBe4 limits of a user write in openapi.json', async () => {
    const spec = (await api<{ paths: Record<string, Record<string, { description?: string }>>; components: { schemas: Record<string, unknown> } }>(stack, 'GET', '/docs-json')).body;
    const create = spec.paths['/unified/user-directory/users'].post.description ?? '';
    expect(create).toContain('Email aliases');
    expect(create).toContain('Phone extensions');
    expect(create).toContain('up to 254 characters');
    // the update shares the limits; the create adds what `groups` does
    expect(create.startsWith(spec.paths['/unified/user-directory/users/{id}'].patch.description ?? '-')).toBe(true);
    expect(create).toContain('`groups: [{id}]`');
    expect(JSON.stringify(spec.components.schemas)).toContain('an entry without a type is `work`');
  });
});
