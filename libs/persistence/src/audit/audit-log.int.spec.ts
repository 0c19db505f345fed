import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../../test/support/throwaway-database';
import { createDataSource, CredentialCipher, IntegratedAccountRepository, runMigrations, WorkspaceRepository } from '../index';
import { attributionOfSyncRun } from './audit-actor';
import { AuditDraft, AuditLogRepository } from './audit-log.repository';

function draft(i: number, userId = '101'): AuditDraft {
  return {
    id: randomUUID(),
    type: 'user.updated',
    resource: { user: { id: userId, ids: [userId, `scim-${userId}`], email: `u${userId}@example.com`, employee_number: null } },
    changes: [{ field: 'title', from: `t${i - 1}`, to: `t${i}` }],
  };
}

describe('audit log on a real Postgres database', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let audit: AuditLogRepository;
  let accountId: string;
  let workspaceId: string;
  const console = attributionOfSyncRun('00000000-0000-4000-8000-000000000001');

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_test_audit_${process.pid}`);
    await runMigrations(database.url);
    dataSource = await createDataSource(database.url, { extra: { max: 12 } }).initialize();
    const workspace = await new WorkspaceRepository(dataSource).createWorkspace('audit');
    workspaceId = workspace.id;
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(CredentialCipher.generateKey())).connect({
      workspaceId,
      label: 'audited',
      region: 'us',
      credentials: { reporting_api_key: 'r'.repeat(20), scim_token: 's'.repeat(20) },
    });
    accountId = account.id;
    audit = new AuditLogRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('appends in the caller\'s transaction: a rolled-back change leaves no entry', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await audit.append(manager, accountId, console, [draft(1)]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await audit.head(accountId)).toEqual({ seq: '0', hash: null });
  });

  it('appends a drafted change once: the same ids again add nothing', async () => {
    const drafts = [draft(1), draft(2)];
    await dataSource.transaction((manager) => audit.append(manager, accountId, console, drafts));
    const again = await dataSource.transaction((manager) => audit.append(manager, accountId, console, drafts));
    expect(again).toBe(0);
    expect((await audit.head(accountId)).seq).toBe('2');
  });

  it('serialises concurrent appends of one account into one gapless chain that verifies', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => dataSource.transaction((manager) => audit.append(manager, accountId, console, [draft(i), draft(i + 100, '202')]))),
    );
    const result = await audit.verify(accountId);
    expect(result).toMatchObject({ ok: true, checked: 22, head: { seq: '22' }, first_broken: null });
    const entries = await audit.list({ accountId, workspaceId, limit: 100 });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 22 }, (_, i) => String(i + 1)));
  });

  it('filters by user id (any of its ids) and pages by seq without skipping or repeating', async () => {
    const forUser = await audit.list({ accountId, workspaceId, userIds: ['scim-202'], limit: 100 });
    expect(forUser).toHaveLength(10);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await audit.list({ accountId, workspaceId, limit: 7, afterSeq: after });
      seen.push(...page.map((e) => e.seq));
      if (page.length < 7) break;
      after = page[page.length - 1].seq;
    }
    expect(seen).toEqual(Array.from({ length: 22 }, (_, i) => String(i + 1)));
    expect(await audit.list({ accountId, workspaceId: randomUUID(), limit: 100 })).toEqual([]);
  });

  it('streams every entry in order', async () => {
    const streamed: string[] = [];
    for await (const entry of audit.stream({ accountId, workspaceId })) streamed.push(entry.seq);
    expect(streamed).toHaveLength(22);
  });

  it('attributes an operation\'s changes to its actor: API key and request, roster run, rules, admin, none', async () => {
    const cases: Array<[Record<string, unknown> | null, object, object, string | null]> = [
      [{ type: 'api_key', id: 'key-1', request_id: 'req-1' }, { type: 'api_key', id: 'key-1' }, {}, 'req-1'],
      [{ type: 'roster', roster_run_id: 'run-1' }, { type: 'roster_run', id: 'run-1' }, { roster_run_id: 'run-1' }, null],
      [{ type: 'automation', source: 'mapping_rules', rule_ids: ['r1', 'r2', 7] }, { type: 'rule', id: 'r1,r2' }, { rule_id: 'r1,r2' }, null],
      [{ type: 'automation', source: 'new-hires', rule_ids: [] }, { type: 'rule', id: 'new-hires' }, { rule_id: 'new-hires' }, null],
      [{ type: 'admin' }, { type: 'admin', id: null }, {}, null],
      [null, { type: 'system', id: null }, {}, null],
    ];
    for (const [actor, expected, source, requestId] of cases) {
      const operationId = randomUUID();
      await dataSource.query(
        `INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request, actor) VALUES ($1, $2, $3, 'user.update', 'succeeded', 1, 't', '{}', $4)`,
        [operationId, workspaceId, accountId, actor === null ? null : JSON.stringify(actor)],
      );
      await dataSource.transaction((manager) => audit.appendForOperation(manager, accountId, operationId, [draft(1, '303')]));
      const [entry] = (await audit.list({ accountId, workspaceId, userIds: ['303'], limit: 100 })).slice(-1);
      expect(entry).toMatchObject({ actor: expected, source: { operation_id: operationId, ...source }, request_id: requestId });
    }
    expect((await audit.verify(accountId)).ok).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the application path', async () => {
    await expect(dataSource.query(`UPDATE audit_events SET type = 'user.created' WHERE account_id = $1`, [accountId])).rejects.toThrow(/append-only/);
    await expect(dataSource.query(`DELETE FROM audit_events WHERE account_id = $1`, [accountId])).rejects.toThrow(/append-only/);
    await expect(dataSource.query(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    expect((await audit.verify(accountId)).ok).toBe(true);
  });

  it('names the entry a superuser rewrote with the triggers disabled', async () => {
    const [target] = await audit.list({ accountId, workspaceId, afterSeq: '8', limit: 1 });
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE audit_events SET changes = '[{"field":"title","from":"a","to":"forged"}]' WHERE id = $1`, [target.id]);
    });
    const result = await audit.verify(accountId);
    expect(result).toMatchObject({ ok: false, checked: 8, first_broken: { id: target.id, seq: '9', reason: 'hash_mismatch' } });
  });
});
