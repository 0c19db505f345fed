import { randomUUID } from 'node:crypto';
import { buildCloudEvent, COMMAND_TYPES, integratedAccountSource, toKafkaMessage, TOPICS, userCommandKey } from '@kb4/contracts';
import { createKafka, createProducer } from '@kb4/platform';
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

  async function createUser(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const accepted = await api(stack, 'POST', usersPath(), { body, headers });
    expect(accepted.status).toBe(202);
    return finishedOperation(stack, accepted.body.id as string);
  }

  it('updates a department and archives (never deletes) a user; reads right after success show it', async () => {
    const created = await createUser({ username: 'ada@example.com', first_name: 'Ada', department: 'Math' });
    const id = (created.scim_response as { scim_id: string }).scim_id;
    const userPath = `/unified/user-directory/users/${id}?integrated_account_id=${stack.accountId}`;

    const patched = await api(stack, 'PATCH', userPath, { body: { department: 'Engines' }, headers: { prefer: 'wait=20' } });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('preference-applied')).toBe('wait=20');
    expect(patched.body).toMatchObject({ status: 'succeeded', type: 'user.update', result: { department: 'Engines', first_name: 'Ada' } });
    expect((await api(stack, 'GET', userPath)).body).toMatchObject({ department: 'Engines' });

    const archived = await api(stack, 'DELETE', userPath, { headers: { prefer: 'wait=20' } });
    expect(archived.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_archived', active: false } });
    expect((await api(stack, 'GET', userPath)).body).toMatchObject({ status: 'inactive' });
    expect(await scimUser('ada@example.com')).toMatchObject({ id, active: false });
    expect((await reportingUsers()).find((u) => u.email === 'ada@example.com')).toMatchObject({ status: 'archived' });

    // Archiving an archived user succeeds again.
    const again = await api(stack, 'DELETE', userPath, { headers: { prefer: 'wait=20' } });
    expect(again.body).toMatchObject({ status: 'succeeded' });
  });

  it('answers the same operation for the same Idempotency-Key and 422 for another body with it', async () => {
    const body = { username: 'idem@example.com', first_name: 'Idem' };
    const headers = { 'idempotency-key': `key-${randomUUID()}` };
    const first = await api(stack, 'POST', usersPath(), { body, headers });
    const second = await api(stack, 'POST', usersPath(), { body, headers });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    const conflicting = await api(stack, 'POST', usersPath(), { body: { ...body, first_name: 'Other' }, headers });
    expect(conflicting.status).toBe(422);
    expect(conflicting.body).toMatchObject({ statusCode: 422, details: { operation_id: first.body.id } });
    await finishedOperation(stack, first.body.id as string);
    const operations = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations WHERE idempotency_key = $1`, [headers['idempotency-key']]);
    expect(Number(operations[0].n)).toBe(1);
    expect((await reportingUsers()).filter((u) => u.email === 'idem@example.com')).toHaveLength(1);
  });

  it('adopts and updates a user whose userName was created outside (409 uniqueness → find → update)', async () => {
    const outside = await fetch(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'console.made@example.com', first_name: 'Console', department: 'Old' }),
    });
    expect(outside.status).toBe(201);
    const done = await createUser({ username: 'console.made@example.com', first_name: 'Adopted', department: 'New' });
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_adopted' }, result: { first_name: 'Adopted', department: 'New' } });
    const matching = (await reportingUsers()).filter((u) => u.email === 'console.made@example.com');
    expect(matching).toHaveLength(1);
    expect(matching[0]).toMatchObject({ first_name: 'Adopted', department: 'New' });
  });

  it('refuses unknown fields and what KnowBe4 cannot store with 400, and an unknown user with 404', async () => {
    expect((await api(stack, 'POST', usersPath(), { body: { username: 'x@example.com', employee_start_date: '2024-01-01' } })).status).toBe(400);
    expect((await api(stack, 'POST', usersPath(), { body: { username: 'not-an-email' } })).status).toBe(400);
    expect((await api(stack, 'POST', usersPath(), { body: { first_name: 'No email' } })).status).toBe(400);
    const extension = await api(stack, 'POST', usersPath(), { body: { username: 'x@example.com', phones: [{ number: '1', extension: '22', type: 'work' }] } });
    expect(extension.status).toBe(400);
    const missing = await api(stack, 'PATCH', `/unified/user-directory/users/999999?integrated_account_id=${stack.accountId}`, { body: { title: 'x' } });
    expect(missing.status).toBe(404);
    expect((await api(stack, 'GET', `/operations/${randomUUID()}`)).status).toBe(404);
  });

  it('creates a group and adds and removes a member through SCIM PATCH', async () => {
    const user = await createUser({ username: 'member@example.com', first_name: 'Member' });
    const userId = (user.scim_response as { scim_id: string }).scim_id;
    const groupAnswer = await api(stack, 'POST', `/unified/user-directory/groups?integrated_account_id=${stack.accountId}`, {
      body: { name: 'Provisioned Group' },
      headers: { prefer: 'wait=20' },
    });
    expect(groupAnswer.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'group_created' } });
    const groupId = (groupAnswer.body.scim_response as { scim_id: string }).scim_id;
    const membersPath = `/unified/user-directory/groups/${groupId}/members`;
    const added = await api(stack, 'POST', `${membersPath}?integrated_account_id=${stack.accountId}`, { body: { user_ids: [userId] }, headers: { prefer: 'wait=20' } });
    expect(added.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'members_added', user_scim_ids: [userId] } });
    const group = (await (await fetch(`${stack.tenant.scim_base_url}/Groups/${groupId}`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } })).json()) as { members: Array<{ value: string }> };
    expect(group.members.map((m) => m.value)).toEqual([userId]);
    const removed = await api(stack, 'DELETE', `${membersPath}/${userId}?integrated_account_id=${stack.accountId}`, { headers: { prefer: 'wait=20' } });
    expect(removed.body).toMatchObject({ status: 'succeeded', scim_response: { action: 'member_removed' } });
    const after = (await (await fetch(`${stack.tenant.scim_base_url}/Groups/${groupId}`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } })).json()) as { members?: unknown[] };
    expect(after.members ?? []).toEqual([]);
  });

  it('dead-letters a malformed command at once, fails its operation and never retries it', async () => {
    const operationId = randomUUID();
    await stack.query(
      `INSERT INTO operations (id, workspace_id, account_id, kind, status, target_key, request) VALUES ($1, $2, $3, 'user.create', 'queued', 'k', '{}')`,
      [operationId, stack.workspaceId, stack.accountId],
    );
    const producer = createProducer(createKafka(process.env.KAFKA_BROKERS!.split(','), 'test-malformed'));
    await producer.connect();
    const event = buildCloudEvent({
      id: randomUUID(),
      type: COMMAND_TYPES.createUser,
      source: integratedAccountSource(stack.accountId),
      data: { operation_id: operationId, integrated_account_id: stack.accountId, attempt: 1, user_name: 'not an email', user: {} },
    });
    const message = toKafkaMessage(event, userCommandKey(stack.accountId, 'broken'));
    await producer.send({ topic: TOPICS.provisioningCommands, messages: [message] });
    await producer.disconnect();
    const done = await finishedOperation(stack, operationId);
    expect(done).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'malformed_command', retryable: false } });
    const dlq = await stack.query<{ payload: { data: { command: { id: string }; attempts: number } } }>(
      `SELECT payload FROM outbox_events WHERE topic = $1 AND payload->>'subject' = $2`,
      [TOPICS.provisioningDlq, `operations/${operationId}`],
    );
    expect(dlq).toHaveLength(1);
    expect(dlq[0].payload.data).toMatchObject({ command: { id: event.id }, attempts: 1 });
  });
});
