import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from './support/provisioning-stack';

jest.setTimeout(120_000);

type Json = Record<string, unknown>;

describe('groups on a user create, group rename and delete through gateway, Kafka, provisioner and the sandbox', () => {
  let stack: ProvisioningStack;
  const q = (): string => `integrated_account_id=${stack.accountId}`;
  const usersPath = (): string => `/unified/user-directory/users?${q()}`;
  const groupPath = (id: string): string => `/unified/user-directory/groups/${id}?${q()}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_group_writes', { users: 5 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function scim(method: string, path: string): Promise<{ status: number; body: Json | null }> {
    const response = await fetch(`${stack.tenant.scim_base_url}${path}`, { method, headers: { authorization: `Bearer ${stack.tenant.scim_token}` } });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Json) : null };
  }

  async function scimUserId(userName: string): Promise<string[]> {
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    return (found.body!.Resources as Json[]).map((user) => user.id as string);
  }

  async function memberIds(groupScimId: string): Promise<string[]> {
    const group = await scim('GET', `/Groups/${groupScimId}`);
    return ((group.body!.members as Array<{ value: string }> | undefined) ?? []).map((member) => member.value);
  }

  async function setFaults(rules: unknown[] | null): Promise<void> {
    const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
      method: rules ? 'PUT' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: rules ? JSON.stringify({ seed: 3, rules }) : undefined,
    });
    expect(response.ok).toBe(true);
  }

  async function createGroup(name: string): Promise<string> {
    const answer = await api(stack, 'POST', `/unified/user-directory/groups?${q()}`, { body: { name }, headers: { prefer: 'wait=20' } });
    expect(answer.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'group_created' } });
    return (answer.body.scim_response as { scim_id: string }).scim_id;
  }

  it('creates a user with groups: user and memberships land in the sandbox in one operation', async () => {
    const [sales, support] = [await createGroup('Provisioned Sales'), await createGroup('Provisioned Support')];
    const accepted = await api(stack, 'POST', usersPath(), {
      body: { username: 'grace.hopper@example.com', first_name: 'Grace', groups: [{ id: sales }, { id: support }, { id: sales }] },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ type: 'user.create', request: { body: { groups: [{ id: sales }, { id: support }] } } });
    const done = await finishedOperation(stack, accepted.body.id as string);
    expect(done).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      scim_response: { action: 'user_created', groups: [{ id: sales, scim_id: sales, name: 'Provisioned Sales' }, { id: support, scim_id: support, name: 'Provisioned Support' }] },
      result: { username: 'grace.hopper@example.com', groups: [{ id: sales, name: 'Provisioned Sales' }, { id: support, name: 'Provisioned Support' }] },
    });
    const [userId] = await scimUserId('grace.hopper@example.com');
    expect(await memberIds(sales)).toEqual([userId]);
    expect(await memberIds(support)).toEqual([userId]);

    // one operation, one command, one result for the user and both memberships
    const operations = await stack.query(`SELECT id FROM operations WHERE account_id = $1 AND kind = 'user.create' AND request->'body'->>'username' = $2`, [stack.accountId, 'grace.hopper@example.com']);
    expect(operations).toHaveLength(1);
    const results = await stack.query(`SELECT 1 FROM outbox_events WHERE topic = 'knowbe4.provisioning.results' AND payload->>'subject' = $1`, [`operations/${done.id as string}`]);
    expect(results).toHaveLength(1);
    // the mirror serves the new user (by SCIM id, before any sync) with its groups
    const read = await api(stack, 'GET', `/unified/user-directory/users/${userId}?${q()}`);
    expect(read.body).toMatchObject({ groups: [{ id: sales, name: 'Provisioned Sales' }, { id: support, name: 'Provisioned Support' }] });
  });

  it('refuses a group the directory does not know (404), a smart group (422), too many groups and groups on an update (400), and writes nothing', async () => {
    const known = await createGroup('Known');
    const unknown = await api(stack, 'POST', usersPath(), { body: { username: 'nobody@example.com', groups: [{ id: known }, { id: '987654321' }] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ message: expect.stringContaining('987654321') });
    const tooMany = await api(stack, 'POST', usersPath(), { body: { username: 'nobody@example.com', groups: Array.from({ length: 51 }, () => ({ id: known })) } });
    expect(tooMany.status).toBe(400);
    expect(await scimUserId('nobody@example.com')).toEqual([]);

    // smart groups are KnowBe4's own (rule-based): SCIM cannot write them, so the gateway refuses them up front
    await stack.query(
      `INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, 424242, 'Smart', $2, 'synced')`,
      [stack.accountId, JSON.stringify({ id: '424242', name: 'Smart', type: 'smart_group' })],
    );
    const smart = await api(stack, 'POST', usersPath(), { body: { username: 'nobody@example.com', groups: [{ id: '424242' }] } });
    expect(smart.status).toBe(422);
    expect(smart.body).toMatchObject({ message: expect.stringContaining('smart group') });
    expect((await api(stack, 'PATCH', groupPath('424242'), { body: { name: 'Smarter' } })).status).toBe(422);
    expect((await api(stack, 'DELETE', groupPath('424242'))).status).toBe(422);
    expect(await scimUserId('nobody@example.com')).toEqual([]);

    const created = await finishedOperation(stack, (await api(stack, 'POST', usersPath(), { body: { username: 'patched@example.com' } })).body.id as string);
    const patch = await api(stack, 'PATCH', `/unified/user-directory/users/${(created.scim_response as { scim_id: string }).scim_id}?${q()}`, { body: { groups: [{ id: known }] } });
    expect(patch.status).toBe(400);
  });

  it('fails honestly when KnowBe4 refuses a membership: the user is written, the operation names the group that failed', async () => {
    const [kept, doomed] = [await createGroup('Kept'), await createGroup('Doomed')];
    // deleted in KnowBe4 behind the mirror's back: the gateway still knows it, SCIM answers 404
    expect((await scim('DELETE', `/Groups/${doomed}`)).status).toBe(204);
    const accepted = await api(stack, 'POST', usersPath(), { body: { username: 'ada@example.com', groups: [{ id: doomed }, { id: kept }] } });
    const failed = await finishedOperation(stack, accepted.body.id as string);
    const [userId] = await scimUserId('ada@example.com');
    expect(failed).toMatchObject({
      status: 'failed',
      error: {
        code: 'group_membership_failed',
        retryable: false,
        truto_error_insight: 'not_found_error',
        details: { user_scim_id: userId, groups_joined: [kept], groups_failed: [{ id: doomed, code: 'group_not_found' }] },
      },
    });
    expect(await memberIds(kept)).toEqual([userId]);
    // the mirror learnt the user even though the operation failed
    expect((await api(stack, 'GET', `/unified/user-directory/users/${userId}?${q()}`)).status).toBe(200);
  });

  it('retries the whole create idempotently: after KnowBe4 failed every group PATCH, a retry adds the memberships once and no second user', async () => {
    const team = await createGroup('Team');
    await setFaults([{ path_prefix: '/scim/v2/Groups', method: 'PATCH', statuses: [503] }]);
    let id: string;
    try {
      id = (await api(stack, 'POST', usersPath(), { body: { username: 'retry.me@example.com', groups: [{ id: team }] } })).body.id as string;
      expect(await finishedOperation(stack, id)).toMatchObject({ status: 'failed', error: { status: 503, retryable: true } });
    } finally {
      await setFaults(null);
    }
    expect(await scimUserId('retry.me@example.com')).toHaveLength(1);
    expect(await memberIds(team)).toEqual([]);
    expect((await api(stack, 'POST', `/operations/${id}/retry`)).status).toBe(202);
    const done = await finishedOperation(stack, id);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_adopted', groups: [{ id: team }] } });
    const userIds = await scimUserId('retry.me@example.com');
    expect(userIds).toHaveLength(1);
    expect(await memberIds(team)).toEqual(userIds);
  });

  it('renames a group: visible in the sandbox and in the mirror at once; description, a taken name and an empty patch are refused', async () => {
    const [finance, other] = [await createGroup('Provisioned Finance'), await createGroup('Provisioned Legal')];
    const renamed = await api(stack, 'PATCH', groupPath(finance), { body: { name: 'Finance EMEA', description: null }, headers: { prefer: 'wait=20' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ type: 'group.update', status: 'succeeded', scim_response: { action: 'group_updated', display_name: 'Finance EMEA' }, result: { name: 'Finance EMEA' } });
    expect((await scim('GET', `/Groups/${finance}`)).body).toMatchObject({ displayName: 'Finance EMEA' });
    expect((await api(stack, 'GET', groupPath(finance))).body).toMatchObject({ id: finance, name: 'Finance EMEA' });

    const description = await api(stack, 'PATCH', groupPath(finance), { body: { description: 'Money' } });
    expect(description.status).toBe(400);
    expect(description.body).toMatchObject({ message: expect.stringContaining('description') });
    const taken = await api(stack, 'PATCH', groupPath(finance), { body: { name: 'provisioned legal' } });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ message: expect.stringContaining('name') });
    expect((await api(stack, 'PATCH', groupPath(finance), { body: {} })).status).toBe(400);
    expect((await api(stack, 'PATCH', groupPath('987654321'), { body: { name: 'X' } })).status).toBe(404);
    expect((await scim('GET', `/Groups/${other}`)).body).toMatchObject({ displayName: 'Provisioned Legal' });
  });

  it('renames a group a sync stored by its Reporting id (no SCIM id yet): the same mirror row is renamed, no second row appears', async () => {
    const listed = await fetch(`${stack.tenant.reporting_base_url}/groups`, { headers: { authorization: `Bearer ${stack.tenant.reporting_api_key}` } });
    const consoleGroup = ((await listed.json()) as Array<{ id: number; name: string; group_type: string }>).find((group) => group.group_type === 'console_group')!;
    const remoteId = String(consoleGroup.id);
    // what the poller stores for a group (Reporting only: no SCIM id)
    await stack.query(
      `INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, $2, $3, $4, 'synced')`,
      [stack.accountId, remoteId, consoleGroup.name, JSON.stringify({ id: remoteId, name: consoleGroup.name, type: 'console_group', status: 'active' })],
    );
    const renamed = await api(stack, 'PATCH', groupPath(remoteId), { body: { name: `${consoleGroup.name} (renamed)` }, headers: { prefer: 'wait=20' } });
    expect(renamed.body).toMatchObject({ status: 'succeeded', result: { id: remoteId, name: `${consoleGroup.name} (renamed)` } });
    const rows = await stack.query<{ remote_id: string; scim_id: string | null; name: string }>(
      `SELECT remote_id::text, scim_id, name FROM directory_groups WHERE account_id = $1 AND (remote_id = $2 OR lower(name) LIKE lower($3))`,
      [stack.accountId, remoteId, `${consoleGroup.name}%`],
    );
    expect(rows).toEqual([{ remote_id: remoteId, scim_id: expect.any(String), name: `${consoleGroup.name} (renamed)` }]);
    expect((await scim('GET', `/Groups/${rows[0].scim_id}`)).body).toMatchObject({ displayName: `${consoleGroup.name} (renamed)` });
    expect((await api(stack, 'GET', groupPath(remoteId))).body).toMatchObject({ id: remoteId, name: `${consoleGroup.name} (renamed)` });

    const deleted = await api(stack, 'DELETE', groupPath(remoteId), { headers: { prefer: 'wait=20' } });
    expect(deleted.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'group_deleted', already_absent: false } });
    expect((await api(stack, 'GET', groupPath(remoteId))).status).toBe(404);

    // a synced group no SCIM group matches by name (renamed in the console since the sync) is not assumed deleted
    await stack.query(
      `INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, 434343, 'Renamed In Console', $2, 'synced')`,
      [stack.accountId, JSON.stringify({ id: '434343', name: 'Renamed In Console', type: 'console_group' })],
    );
    const unsure = await api(stack, 'DELETE', groupPath('434343'), { headers: { prefer: 'wait=20' } });
    expect(unsure.body).toMatchObject({ status: 'failed', error: { code: 'group_not_found', retryable: false } });
    expect((await api(stack, 'GET', groupPath('434343'))).status).toBe(200);
  });

  it('deletes a group: gone from the sandbox and the mirror; the same Idempotency-Key returns the operation, a new DELETE is 404', async () => {
    const temp = await createGroup('Temporary');
    const headers = { prefer: 'wait=20', 'idempotency-key': `delete-${temp}` };
    const deleted = await api(stack, 'DELETE', groupPath(temp), { headers });
    expect(deleted.body).toMatchObject({ type: 'group.delete', status: 'succeeded', scim_response: { action: 'group_deleted', scim_id: temp, already_absent: false } });
    expect((await scim('GET', `/Groups/${temp}`)).status).toBe(404);
    expect((await api(stack, 'GET', groupPath(temp))).status).toBe(404);

    const replay = await api(stack, 'DELETE', groupPath(temp), { headers });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toMatchObject({ id: deleted.body.id, status: 'succeeded' });
    expect((await api(stack, 'DELETE', groupPath(temp))).status).toBe(404);
  });

  it('deleting a group KnowBe4 no longer has succeeds (already absent)', async () => {
    const gone = await createGroup('Gone Already');
    expect((await scim('DELETE', `/Groups/${gone}`)).status).toBe(204);
    const deleted = await api(stack, 'DELETE', groupPath(gone), { headers: { prefer: 'wait=20' } });
    expect(deleted.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'group_deleted', already_absent: true } });
    expect((await api(stack, 'GET', groupPath(gone))).status).toBe(404);
  });
});
