import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { COMMAND_TYPES, TOPICS } from '@kb4/contracts';
import { auditEntriesParameter, CredentialCipher, createDataSource, LeaseLostError, MirrorUserWrite, OperationLease, OperationRepository } from '@kb4/persistence';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { commandMessage, createUserIntent, storedRequestOf } from '../../apps/gateway/src/provisioning/write-intents';
import { succeededEvent } from '../../apps/provisioner/src/outcomes/outcome-events';
import { createTenant, migratedDatabase, Tenant } from '../gateway/support/gateway-harness';

/**
 * The provisioner's claim protocol on a real Postgres: an attempt claims its operation with a lease token in one
 * short statement, calls SCIM outside any transaction, and writes its outcome only while the token still holds.
 */
describe('operation leases (Postgres)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let operations: OperationRepository;
  let tenant: Tenant;

  beforeAll(async () => {
    database = await migratedDatabase('kb4_test_leases');
    tenant = await createTenant(database.url, CredentialCipher.generateKey());
    dataSource = await createDataSource(database.url).initialize();
    operations = new OperationRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function accepted(userName: string): Promise<string> {
    const intent = createUserIntent(tenant.accountId, { username: userName }, '/unified/user-directory/users');
    const { operation } = await operations.recordWithCommand(
      { id: randomUUID(), workspaceId: tenant.workspaceId, accountId: tenant.accountId, kind: intent.kind, targetKey: intent.key, request: storedRequestOf(intent) },
      (created) => commandMessage(created, storedRequestOf(intent).command, 1),
    );
    return operation.id;
  }

  const claim = (operationId: string, commandId = randomUUID(), checkPredecessors = false) =>
    operations.claimAttempt({ operationId, commandId, accountId: tenant.accountId, leaseSeconds: 30, checkPredecessors });

  async function claimed(operationId: string, commandId = randomUUID()): Promise<{ lease: OperationLease; commandId: string; attempts: number }> {
    const result = await claim(operationId, commandId);
    if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${result.kind}`);
    return { lease: result.lease, commandId, attempts: result.attempts };
  }

  const succeed = (lease: OperationLease, commandId: string) =>
    dataSource.transaction((manager) =>
      operations.finishWithEvents(manager, lease, commandId, { status: 'succeeded', result: { by: lease.token } }, [
        succeededEvent(
          { operationId: lease.operationId, accountId: tenant.accountId, commandType: COMMAND_TYPES.createUser, attempt: 1, completedAt: new Date(), key: 'k', commandId },
          { remoteId: null, scimId: null },
        ),
      ]),
    );

  const expireLease = (operationId: string) => dataSource.query(`UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [operationId]);

  async function state(operationId: string): Promise<{ status: string; attempts: number; result: Record<string, unknown> | null; processed: number; results: number }> {
    const [row] = await dataSource.query(
      `SELECT status, attempts, result,
              (SELECT count(*)::int FROM processed_commands WHERE operation_id = o.id) AS processed,
              (SELECT count(*)::int FROM outbox_events WHERE topic = $2 AND payload->>'subject' = 'operations/' || o.id) AS results
         FROM operations o WHERE id = $1`,
      [operationId, TOPICS.provisioningResults],
    );
    return row;
  }

  it('keeps a second delivery out while the holder calls SCIM, and lets it find the outcome once written', async () => {
    const id = await accepted('held@example.com');
    const holder = await claimed(id);
    const second = await claim(id);
    expect(second.kind).toBe('busy');
    expect(second.kind === 'busy' && second.retryAfterMs).toBeGreaterThan(25_000);
    await succeed(holder.lease, holder.commandId);
    expect(await claim(id)).toEqual({ kind: 'finished', operationId: id });
    expect(await state(id)).toMatchObject({ status: 'succeeded', attempts: 1, processed: 1, results: 1 });
  });

  it('writes nothing for a holder whose lease expired and was claimed again; the new holder writes the outcome', async () => {
    const id = await accepted('lost@example.com');
    const stalled = await claimed(id);
    await expireLease(id);
    const next = await claimed(id);
    expect(next.attempts).toBe(2);
    await expect(succeed(stalled.lease, stalled.commandId)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await state(id)).toMatchObject({ status: 'running', processed: 0, results: 0 });
    await succeed(next.lease, next.commandId);
    expect(await state(id)).toMatchObject({ status: 'succeeded', result: { by: next.lease.token }, processed: 1, results: 1 });
  });

  it('lets a slow holder finish when its lease expired but nobody claimed the operation meanwhile', async () => {
    const id = await accepted('slow@example.com');
    const slow = await claimed(id);
    await expireLease(id);
    await succeed(slow.lease, slow.commandId);
    expect(await state(id)).toMatchObject({ status: 'succeeded', processed: 1 });
  });

  it('refuses a created user\'s outcome and mirror row once the lease was lost', async () => {
    const id = await accepted('mirror@example.com');
    const stalled = await claimed(id);
    await expireLease(id);
    await claimed(id);
    const scimId = randomUUID();
    const auditId = randomUUID();
    const write: MirrorUserWrite = {
      scimId,
      provisioningGuid: null,
      emailLower: 'mirror@example.com',
      employeeNumber: null,
      status: 'active',
      firstName: null,
      lastName: null,
      department: null,
      record: { id: scimId },
      contentHash: 'h',
    };
    await expect(
      dataSource.transaction((manager) =>
        operations.finishCreatedUser(manager, {
          lease: stalled.lease,
          commandId: stalled.commandId,
          result: {},
          events: [],
          accountId: tenant.accountId,
          keys: { scimId, provisioningGuid: null, emailLower: 'mirror@example.com' },
          write,
          auditEntries: auditEntriesParameter(tenant.accountId, [{ id: auditId, type: 'user.created', resource: { user: { id: scimId, ids: [scimId], email: null, employee_number: null } }, changes: [] }], new Date()),
        }),
      ),
    ).rejects.toBeInstanceOf(LeaseLostError);
    const rows = await dataSource.query(`SELECT 1 FROM directory_users WHERE scim_id = $1`, [scimId]);
    expect(rows).toHaveLength(0);
    expect(await dataSource.query(`SELECT 1 FROM audit_events WHERE id = $1`, [auditId])).toHaveLength(0);
  });

  it('appends a created user\'s audit entries in its outcome\'s statement, attributed to the operation', async () => {
    const id = await accepted('audited@example.com');
    const holder = await claimed(id);
    const scimId = randomUUID();
    const auditId = randomUUID();
    const write: MirrorUserWrite = {
      scimId,
      provisioningGuid: null,
      emailLower: 'audited@example.com',
      employeeNumber: null,
      status: 'active',
      firstName: null,
      lastName: null,
      department: null,
      record: { id: scimId },
      contentHash: 'h',
    };
    const user = { id: scimId, ids: [scimId], email: 'audited@example.com', employee_number: null };
    const finished = await dataSource.transaction((manager) =>
      operations.finishCreatedUser(manager, {
        lease: holder.lease,
        commandId: holder.commandId,
        result: {},
        events: [],
        accountId: tenant.accountId,
        keys: { scimId, provisioningGuid: null, emailLower: 'audited@example.com' },
        write,
        auditEntries: auditEntriesParameter(tenant.accountId, [{ id: auditId, type: 'user.created', resource: { user }, changes: [] }], new Date()),
      }),
    );
    expect(finished).toBe(true);
    expect(await state(id)).toMatchObject({ status: 'succeeded', processed: 1 });
    const [entry] = await dataSource.query(`SELECT type, source, user_ids FROM audit_events WHERE id = $1`, [auditId]);
    expect(entry).toEqual({ type: 'user.created', source: expect.objectContaining({ operation_id: id }), user_ids: [scimId] });
  });

  it('renews a held lease, reports a lost one, and frees a released one for the next delivery at once', async () => {
    const id = await accepted('renew@example.com');
    const first = await claimed(id);
    expect(await operations.renewLease(first.lease, 30)).toBe(true);
    await operations.releaseLease(first.lease);
    const second = await claimed(id);
    expect(second.attempts).toBe(2);
    expect(await operations.renewLease(first.lease, 30)).toBe(false);
    expect(await operations.renewLease(second.lease, 30)).toBe(true);
  });

  it('answers predecessors (and counts no attempt) while an older operation of the same user is unfinished', async () => {
    const older = await accepted('order@example.com');
    const newer = await accepted('order@example.com');
    expect(await claim(newer, randomUUID(), true)).toEqual({ kind: 'predecessors' });
    expect(await state(newer)).toMatchObject({ status: 'queued', attempts: 0 });
    const olderClaim = await claimed(older);
    await succeed(olderClaim.lease, olderClaim.commandId);
    expect((await claim(newer, randomUUID(), true)).kind).toBe('claimed');
  });

  it('claims the commands of one batch in one statement, each answered as it would be alone, in input order', async () => {
    const fresh = await accepted('batch-fresh@example.com');
    const held = await accepted('batch-held@example.com');
    const done = await accepted('batch-done@example.com');
    const older = await accepted('batch-order@example.com');
    const newer = await accepted('batch-order@example.com');
    const holder = await claimed(held);
    const finisher = await claimed(done);
    await succeed(finisher.lease, finisher.commandId);
    const input = (operationId: string, commandId: string = randomUUID(), checkPredecessors = false) => ({
      operationId,
      commandId,
      accountId: tenant.accountId,
      leaseSeconds: 30,
      checkPredecessors,
    });
    const claims = await operations.claimAttempts([
      input(fresh),
      input(held),
      input(done, finisher.commandId),
      input(done),
      input(newer, randomUUID(), true),
      input(randomUUID()),
      input(fresh),
    ]);
    expect(claims.map((claim) => claim.kind)).toEqual(['claimed', 'busy', 'duplicate', 'finished', 'predecessors', 'unknown_operation', 'busy']);
    expect(claims[0]).toMatchObject({ kind: 'claimed', attempts: 1, operation: { id: fresh }, account: { id: tenant.accountId } });
    expect(claims[1].kind === 'busy' && claims[1].retryAfterMs).toBeGreaterThan(25_000);
    expect(await state(fresh)).toMatchObject({ status: 'running', attempts: 1 });
    expect(await state(newer)).toMatchObject({ status: 'queued', attempts: 0 });
    // the claimed lease is the one its input was answered with
    const first = claims[0];
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    expect(await operations.renewLease(first.lease, 30)).toBe(true);
    expect(await operations.renewLease(holder.lease, 30)).toBe(true);
    expect((await claim(older)).kind).toBe('claimed');
  });

  it('lets one input claim an operation named twice in a batch; the other finds it busy', async () => {
    const id = await accepted('batch-twice@example.com');
    const commandId = randomUUID();
    const claims = await operations.claimAttempts([0, 1].map(() => ({ operationId: id, commandId, accountId: tenant.accountId, leaseSeconds: 30, checkPredecessors: false })));
    expect(claims.map((claim) => claim.kind).sort()).toEqual(['busy', 'claimed']);
    const winner = claims.find((claim) => claim.kind === 'claimed');
    if (winner?.kind !== 'claimed') throw new Error('expected a claim');
    expect(await operations.renewLease(winner.lease, 30)).toBe(true);
    expect(await state(id)).toMatchObject({ status: 'running', attempts: 1 });
  });

  it('is not re-published by the reconciler while a provisioner holds a live lease, however old its last progress', async () => {
    const id = await accepted('reconciled@example.com');
    await claimed(id);
    await dataSource.query(`UPDATE outbox_events SET published_at = now() WHERE payload->>'subject' = $1`, [`operations/${id}`]);
    await dataSource.query(`UPDATE operations SET updated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    const scan = { stallSeconds: 1, maxBackoffSeconds: 60, limit: 100, commandTopic: TOPICS.provisioningCommands };
    const republish = () => operations.republishStalled(scan, async () => undefined);
    expect((await republish())?.map((operation) => operation.id) ?? []).not.toContain(id);
    await expireLease(id);
    expect((await republish())?.map((operation) => operation.id) ?? []).toContain(id);
  });
});
