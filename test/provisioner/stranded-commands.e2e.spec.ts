import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kb4/contracts';
import { createDataSource, OperationRepository } from '@kb4/persistence';
import { commandMessage, createUserIntent, storedRequestOf, updateUserIntent } from '../../apps/gateway/src/provisioning/write-intents';
import { api, finishedOperation, ProvisioningStack, startProvisioningStack, startService } from './support/provisioning-stack';

jest.setTimeout(120_000);

/**
 * Issue 10 (finding 2): an accepted write whose command never reaches a provisioner (relayed to a broker that was
 * then lost, a trimmed topic, a crashed relay) is re-published from Postgres by the gateway's operation reconciler,
 * or by POST /operations/{id}/retry; the provisioner applies a re-published command idempotently.
 */
describe('stranded commands: the operation reconciler, retry of a stuck operation, idempotent provisioner', () => {
  let stack: ProvisioningStack;
  let dataSource: DataSource;
  const usersPath = (): string => `/unified/user-directory/users?integrated_account_id=${stack.accountId}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_prov_stranded', {
      users: 5,
      extraEnv: { OPERATION_STALL_SECONDS: '2', OPERATION_RECONCILE_INTERVAL_SECONDS: '1', LOG_LEVEL: 'info' },
    });
    dataSource = await createDataSource(stack.database.url).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await stack?.stop();
  });

  /** An accepted create whose command went somewhere no provisioner reads: recorded as the gateway does, then lost. */
  async function strandedCreate(userName: string, stalledForSeconds = 0): Promise<string> {
    const intent = createUserIntent(stack.accountId, { username: userName, first_name: 'Stranded' }, '/unified/user-directory/users');
    const { operation } = await new OperationRepository(dataSource).recordWithCommand(
      { id: randomUUID(), workspaceId: stack.workspaceId, accountId: stack.accountId, kind: intent.kind, targetKey: intent.key, request: storedRequestOf(intent) },
      (created) => ({ ...commandMessage(created, storedRequestOf(intent).command, 1), topic: 'kb4.test.lost-commands' }),
    );
    if (stalledForSeconds > 0) {
      await dataSource.query(`UPDATE operations SET updated_at = now() - make_interval(secs => $2) WHERE id = $1`, [operation.id, stalledForSeconds]);
    }
    return operation.id;
  }

  async function scimUsersNamed(userName: string): Promise<Array<{ id: string; name?: { givenName?: string } }>> {
    const response = await fetch(`${stack.tenant.scim_base_url}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {
      headers: { authorization: `Bearer ${stack.tenant.scim_token}` },
    });
    return ((await response.json()) as { Resources: Array<{ id: string }> }).Resources;
  }

  it('re-publishes an accepted write whose command was lost, and it ends succeeded', async () => {
    const id = await strandedCreate('lost.command@example.com');
    const done = await finishedOperation(stack, id);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_created' } });
    expect(await scimUsersNamed('lost.command@example.com')).toHaveLength(1);
    const [row] = await stack.query<{ republish_count: number }>(`SELECT republish_count FROM operations WHERE id = $1`, [id]);
    expect(row.republish_count).toBeGreaterThanOrEqual(1);
    expect(stack.gateway.output()).toContain('its command was re-published from Postgres');
  });

  it('ends succeeded for the same user when the lost delivery had already created it in SCIM (adopts, no duplicate)', async () => {
    const created = await fetch(`${stack.tenant.scim_base_url}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tenant.scim_token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'half.done@example.com', name: { givenName: 'Half' }, active: true }),
    });
    expect(created.status).toBe(201);
    const scimId = ((await created.json()) as { id: string }).id;
    const id = await strandedCreate('half.done@example.com');
    const done = await finishedOperation(stack, id);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_adopted', scim_id: scimId } });
    const users = await scimUsersNamed('half.done@example.com');
    expect(users.map((user) => user.id)).toEqual([scimId]);
    expect(users[0].name?.givenName).toBe('Stranded');
  });

  it('skips a re-published command whose operation already succeeded, and commits it', async () => {
    const accepted = await api(stack, 'POST', usersPath(), { body: { username: 'twice@example.com', first_name: 'Once' } });
    const done = await finishedOperation(stack, accepted.body.id as string);
    expect(done.status).toBe('succeeded');
    const [operation] = await dataSource.query(`SELECT id, account_id AS "accountId", request FROM operations WHERE id = $1`, [done.id]);
    const duplicate = commandMessage(operation, operation.request.command, 2);
    await dataSource.transaction((manager) =>
      manager.query(`INSERT INTO outbox_events (event_id, topic, message_key, event_type, payload) VALUES ($1, $2, $3, $4, $5)`, [
        duplicate.event.id,
        TOPICS.provisioningCommands,
        duplicate.key,
        duplicate.event.type,
        JSON.stringify(duplicate.event),
      ]),
    );
    let processed: unknown[] = [];
    for (let round = 0; round < 300 && processed.length === 0; round++) {
      processed = await stack.query(`SELECT 1 FROM processed_commands WHERE command_id = $1`, [duplicate.event.id]);
      if (processed.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(processed).toHaveLength(1);
    const after = await api(stack, 'GET', `/operations/${done.id as string}`);
    expect(after.body).toMatchObject({ status: 'succeeded', attempts: done.attempts, scim_response: done.scim_response, finished_at: done.finished_at });
    const results = await stack.query(`SELECT 1 FROM outbox_events WHERE topic = $1 AND payload->>'subject' = $2`, [TOPICS.provisioningResults, `operations/${done.id as string}`]);
    expect(results).toHaveLength(1);
    expect(await scimUsersNamed('twice@example.com')).toHaveLength(1);
  });

  it('applies a lost older write of a user before a newer one, so the newer write is the one that stays', async () => {
    const accepted = await api(stack, 'POST', usersPath(), { body: { username: 'in.order@example.com', first_name: 'First' } });
    const created = await finishedOperation(stack, accepted.body.id as string);
    expect(created.status).toBe('succeeded');
    const scimId = (created.scim_response as { scim_id: string }).scim_id;
    const target = { id: scimId, userName: 'in.order@example.com', scimId };
    // The older update's command is lost (relayed to a broker that then died); the newer one is delivered.
    const intent = updateUserIntent(stack.accountId, target, { first_name: 'Older' }, '/unified/user-directory/users');
    const { operation: older } = await new OperationRepository(dataSource).recordWithCommand(
      { id: randomUUID(), workspaceId: stack.workspaceId, accountId: stack.accountId, kind: intent.kind, targetKey: intent.key, request: storedRequestOf(intent) },
      (operation) => ({ ...commandMessage(operation, storedRequestOf(intent).command, 1), topic: 'kb4.test.lost-commands' }),
    );
    const newer = await api(stack, 'PATCH', `/unified/user-directory/users/${target.id}?integrated_account_id=${stack.accountId}`, { body: { first_name: 'Newer' } });
    expect(newer.status).toBe(202);

    const newerDone = await finishedOperation(stack, newer.body.id as string);
    const olderDone = await finishedOperation(stack, older.id);
    expect([olderDone.status, newerDone.status]).toEqual(['succeeded', 'succeeded']);
    // Without the ordering the reconciler re-publishes the older write ~2 s later and it overwrites the newer one.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await scimUsersNamed('in.order@example.com'))[0].name?.givenName).toBe('Newer');
    expect(Date.parse(olderDone.finished_at as string)).toBeLessThanOrEqual(Date.parse(newerDone.finished_at as string));
    expect(stack.provisioner.output()).toContain('applying an older unfinished operation of the same target first');
  });

  it('POST /operations/{id}/retry re-publishes a stuck operation; 409 while one progresses or once it succeeded', async () => {
    // A gateway without a reconciler of its own (only the retry re-publishes here) and a 30 s bound.
    await stack.gateway.stop();
    stack.gateway = await startService('gateway', { ...stack.env, OPERATION_STALL_SECONDS: '30', OPERATION_RECONCILE_INTERVAL_SECONDS: '0' });

    const recent = await strandedCreate('progressing@example.com');
    const refused = await api(stack, 'POST', `/operations/${recent}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ statusCode: 409, details: { status: 'queued' } });

    const stuck = await strandedCreate('stuck@example.com', 60);
    const retried = await api(stack, 'POST', `/operations/${stuck}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: stuck, status: 'queued' });
    // Re-published moments ago: a second retry is refused until the bound passes again.
    expect((await api(stack, 'POST', `/operations/${stuck}/retry`)).status).toBe(409);
    const done = await finishedOperation(stack, stuck);
    expect(done).toMatchObject({ status: 'succeeded', scim_response: { action: 'user_created' } });
    expect((await api(stack, 'POST', `/operations/${stuck}/retry`)).status).toBe(409);
  });
});
