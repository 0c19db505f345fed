import { Readable } from 'node:stream';
import { createDataSource, CredentialCipher, OperationRepository, RosterPlanRepository, RosterRunRepository } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { DataSource } from 'typeorm';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import { RosterExecutor } from '../../apps/gateway/src/roster/roster-executor';
import { RosterPlanner } from '../../apps/gateway/src/roster/roster-planner';
import { readRosterRows } from '../../apps/gateway/src/roster/roster-upload';
import { createTenant, migratedDatabase } from '../gateway/support/gateway-harness';
import { seedConsoleGroup } from '../gateway/support/mirror-fixture';
import type { ThrowawayDatabase } from '../support/throwaway-database';

// Postgres-level: the one-pass planner (batch matching, COPY-staged keys, the checks over the whole upload).
describe('roster planner against a real mirror', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let workspaceId: string;
  let accountId: string;
  let planner: RosterPlanner;
  let nextRemoteId = 5000;

  const user = async (email: string, fields: Record<string, unknown> = {}, status: 'active' | 'inactive' = 'active'): Promise<string> => {
    const remoteId = String(nextRemoteId++);
    const record = { id: remoteId, username: email, status, groups: [], ...fields };
    await dataSource.query(
      `INSERT INTO directory_users (account_id, remote_id, email_lower, employee_number, status, department, record, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, 'h')`,
      [accountId, remoteId, email.toLowerCase(), (fields.external_id as string | undefined) ?? null, status, (fields.department as string | undefined) ?? null, JSON.stringify(record)],
    );
    return remoteId;
  };
  const group = async (name: string): Promise<string> => {
    const remoteId = String(nextRemoteId++);
    await seedConsoleGroup(dataSource, accountId, remoteId, name);
    return remoteId;
  };
  const plan = (csv: string, dryRun = true) =>
    planner.plan({ workspaceId, accountId, dryRun, force: false, rows: readRosterRows(Readable.from([csv]), 'csv', { maxBodyBytes: 1 << 26, maxRowBytes: 65_536, maxRows: 1_000_000 }) });
  const refusal = async (csv: string): Promise<ApiError> => {
    const error = await plan(csv).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  };
  const leftovers = async (): Promise<{ staged: number; runs: number }> => {
    const [{ staged }] = await dataSource.query(`SELECT count(*)::int AS staged FROM roster_rows`);
    const [{ runs }] = await dataSource.query(`SELECT count(*)::int AS runs FROM roster_runs WHERE account_id = $1`, [accountId]);
    return { staged, runs };
  };

  beforeAll(async () => {
    database = await migratedDatabase('kb4_roster_planner');
    ({ workspaceId, accountId } = await createTenant(database.url, CredentialCipher.generateKey()));
    dataSource = await createDataSource(database.url).initialize();
    const config = { ROSTER_MAX_ARCHIVE_SHARE: 0.5, ROSTER_MAX_ARCHIVE_COUNT: 1_000 } as GatewayConfig;
    planner = new RosterPlanner(new RosterPlanRepository(dataSource), new RosterRunRepository(dataSource), config);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM roster_runs`);
    await dataSource.query(`DELETE FROM roster_rows`);
    await dataSource.query(`DELETE FROM directory_users`);
    await dataSource.query(`DELETE FROM directory_groups`);
    await dataSource.query(`DELETE FROM roster_custom_fields`);
  });

  it('matches by employee number, then email, and plans creates, updates, reactivations and archives with staging emptied', async () => {
    await user('kept@example.com', { external_id: 'E1', department: 'Sales' });
    await user('old-address@example.com', { external_id: 'E2', department: 'Sales' });
    await user('back@example.com', { department: 'Sales' }, 'inactive');
    await user('gone@example.com', { department: 'Sales' });
    const { plan: result } = await plan(
      ['email,employee_number,department', 'kept@example.com,E1,Sales', 'new-address@example.com,E2,Sales', 'BACK@example.com,,Sales', 'hire@example.com,E9,Sales'].join('\n'),
    );
    expect(result.counts).toEqual({ create: 1, update: 1, archive: 1, reactivate: 1, add_member: 0, remove_member: 0 });
    expect(result.unchanged).toBe(1);
    const changes = result.changes.map((change) => [change.action, change.email]);
    expect(changes).toEqual([
      ['update', 'new-address@example.com'],
      ['reactivate', 'back@example.com'],
      ['create', 'hire@example.com'],
      ['archive', 'gone@example.com'],
    ]);
    expect(await leftovers()).toEqual({ staged: 0, runs: 1 });
  });

  it('matches employee numbers with quotes, backslashes, commas and braces exactly (the array parameters are built by hand)', async () => {
    const odd = 'E"1\\x,{y}';
    await user('odd@example.com', { external_id: odd, department: 'Sales' });
    await user('null-employee@example.com', { department: 'Sales' });
    const csv = ['email,employee_number,department', `moved@example.com,"${odd.replace(/"/g, '""')}",Sales`, 'null-employee@example.com,,Sales'].join('\n');
    const { plan: result } = await plan(csv);
    expect(result.counts).toEqual({ create: 0, update: 1, archive: 0, reactivate: 0, add_member: 0, remove_member: 0 });
    expect(result.unchanged).toBe(1);
  });

  it("ends a plan a stopped gateway left in 'planning' as refused, saying why, and deletes its staged rows when the account plans again", async () => {
    const stale = '00000000-0000-4000-8000-00000000a001';
    const recent = '00000000-0000-4000-8000-00000000a002';
    await dataSource.query(
      `INSERT INTO roster_runs (id, workspace_id, account_id, status, dry_run, forced, created_at)
       VALUES ($1, $3, $4, 'planning', true, false, now() - interval '2 hours'), ($2, $3, $4, 'planning', true, false, now() - interval '5 minutes')`,
      [stale, recent, workspaceId, accountId],
    );
    await dataSource.query(
      `INSERT INTO roster_rows (run_id, line, email_lower, employee_number, groups, matched_seq, unchanged) SELECT r, g, 'x' || g || '@example.com', NULL, '{}', NULL, false FROM unnest($1::uuid[]) r, generate_series(2, 4) g`,
      [[stale, recent]],
    );
    await user('kept@example.com');
    await plan('email\nkept@example.com');
    const runs: Array<{ id: string; status: string; refusal: { reason?: string } | null }> = await dataSource.query(`SELECT id, status, refusal FROM roster_runs WHERE id = ANY($1::uuid[]) ORDER BY id`, [[stale, recent]]);
    expect(runs.map((run) => run.status)).toEqual(['refused', 'planning']);
    expect(runs[0].refusal?.reason).toMatch(/interrupted/);
    const staged: Array<{ run_id: string; n: number }> = await dataSource.query(`SELECT run_id, count(*)::int AS n FROM roster_rows GROUP BY run_id`);
    expect(staged).toEqual([{ run_id: recent, n: 3 }]); // a plan in progress elsewhere keeps its staging
  });

  it('takes a user out of a group that only a later batch of the upload names (the group is managed by the whole roster)', async () => {
    const managers = await group('Managers');
    await group('Sales');
    // the first row's user is in Managers; the first row to name Managers comes after the first batch
    await user('early@example.com', { department: 'Sales', groups: [{ id: managers, name: 'Managers' }] });
    await user('late@example.com', { department: 'Sales', groups: [{ id: managers, name: 'Managers' }] });
    const rows = ['email,department,groups', 'early@example.com,Sales,'];
    for (let i = 0; i < 1_200; i++) rows.push(`filler${i}@example.com,Sales,Sales`);
    rows.push('late@example.com,Sales,Managers');
    const { plan: result } = await plan(rows.join('\n'));
    expect(result.counts).toMatchObject({ create: 1_200, remove_member: 1, add_member: 0 });
    const [removal] = await dataSource.query(`SELECT change FROM roster_run_items WHERE run_id = $1 AND action = 'remove_member'`, [result.roster_run_id]);
    expect(removal.change).toMatchObject({ email: 'early@example.com', line: 2, group: { id: managers, name: 'Managers' } });
    // the early row was counted unchanged before the removal was found; late@ already is in Managers
    expect(result.unchanged).toBe(1);
  });

  it('refuses duplicate emails and employee numbers naming every line, even with tabs, quotes and backslashes in the value, leaving nothing behind', async () => {
    const odd = 'A\\"B\tC';
    const csv = ['email,employee_number', `one@example.com,"${odd.replace(/"/g, '""')}"`, 'two@example.com,X', `three@example.com,"${odd.replace(/"/g, '""')}"`, 'ONE@example.com,Y'].join('\n');
    const error = await refusal(csv);
    expect(error.statusCode).toBe(422);
    const details = error.details as { errors: Array<{ field: string; lines: number[]; reason: string }> };
    expect(details.errors).toEqual([
      expect.objectContaining({ field: 'username', lines: [2, 5] }),
      expect.objectContaining({ field: 'external_id', lines: [2, 4], reason: `employee number ${JSON.stringify(odd)} appears on lines 2, 4` }),
    ]);
    expect(await leftovers()).toEqual({ staged: 0, runs: 0 });
  });

  it('refuses a group name the account does not have, naming the first line that uses it', async () => {
    await group('Sales');
    const error = await refusal(['email,groups', 'a@example.com,Sales', 'b@example.com,Sales;Nope', 'c@example.com,Nope'].join('\n'));
    expect(error.statusCode).toBe(422);
    expect((error.details as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ line: 3, field: 'groups', reason: expect.stringContaining('"nope"') })]);
    expect(await leftovers()).toEqual({ staged: 0, runs: 0 });
  });

  it('refuses two rows that land on one user (one by employee number, the other by email)', async () => {
    await user('taken@example.com', { external_id: 'E7' });
    const error = await refusal(['email,employee_number', 'someone@example.com,E7', 'taken@example.com,E8'].join('\n'));
    expect((error.details as { errors: Array<{ lines: number[] }> }).errors).toEqual([expect.objectContaining({ lines: [2, 3] })]);
    expect(await leftovers()).toEqual({ staged: 0, runs: 0 });
  });

  it('writes custom fields the mirror cannot know once, then compares a re-push against what the completed run wrote', async () => {
    // a synced user whose Reporting record carries no custom fields, and one whose record does
    await user('quiet@example.com', { external_id: 'Q1' });
    await dataSource.query(`UPDATE directory_users SET remote_data = '{"id": 1, "custom_field_1": "CC-1", "custom_date_1": "2024-05-01"}' WHERE email_lower = 'quiet@example.com'`);
    await user('unknown@example.com', { external_id: 'U1' });
    const csv = ['email,employee_number,custom_field_1,custom_date_1', 'quiet@example.com,Q1,CC-1,2024-05-01', 'unknown@example.com,U1,CC-2,2024-06-01'].join('\n');

    const first = await plan(csv);
    // Reporting's values match the first row (its date compared as a calendar date); the second is written once
    expect(first.plan.counts).toMatchObject({ update: 1 });
    expect(first.plan.changes).toEqual([expect.objectContaining({ email: 'unknown@example.com', changes: [expect.objectContaining({ field: 'custom_fields' })] })]);

    const applied = await plan(csv, false);
    expect(applied.status).toBe('running');
    const config = { LOG_LEVEL: 'silent', ROSTER_EXECUTOR_INTERVAL_MS: 0 } as GatewayConfig;
    const executor = new RosterExecutor(new OperationRepository(dataSource), new RosterRunRepository(dataSource), config);
    expect((await executor.runOnce()).enqueued).toBe(1);
    // what the provisioner does when KnowBe4 accepted the write (the mirror record still has no custom fields)
    await dataSource.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE account_id = $1`, [accountId]);
    expect((await executor.runOnce()).completed).toEqual([applied.plan.roster_run_id]);

    const again = await plan(csv.replace('2024-06-01', '2024-06-01T00:00:00Z'));
    expect(again.plan.counts).toEqual({ create: 0, update: 0, archive: 0, reactivate: 0, add_member: 0, remove_member: 0 });
    expect(again.plan.unchanged).toBe(2);

    // a later change of one field is planned, and only that field is compared as changed
    const changed = await plan(csv.replace('CC-2', 'CC-3'));
    expect(changed.plan.changes).toEqual([expect.objectContaining({ email: 'unknown@example.com', changes: [expect.objectContaining({ field: 'custom_fields' })] })]);
  });

  it('executes the users joining (or leaving) one group as one operation (one SCIM PATCH) while each item keeps its own progress', async () => {
    const sales = await group('Sales');
    const support = await group('Support');
    for (let i = 0; i < 5; i++) await user(`mover${i}@example.com`, { department: 'Sales' });
    // a sixth user leaves Support with the roster's fourth and fifth joining it: removals are batched too
    await user('leaver@example.com', { department: 'Sales', groups: [{ id: support, name: 'Support' }] });
    const csv = ['email,department,groups', ...Array.from({ length: 5 }, (_, i) => `mover${i}@example.com,Sales,${i < 3 ? 'Sales' : 'Support'}`)].join('\n');
    await user('leaver2@example.com', { department: 'Sales', groups: [{ id: support, name: 'Support' }] });
    const applied = await plan(`${csv}\nleaver@example.com,Sales,\nleaver2@example.com,Sales,Sales`, false);
    expect(applied.plan.counts).toMatchObject({ add_member: 6, remove_member: 2, update: 0 });
    const config = { LOG_LEVEL: 'silent', ROSTER_EXECUTOR_INTERVAL_MS: 0 } as GatewayConfig;
    const executor = new RosterExecutor(new OperationRepository(dataSource), new RosterRunRepository(dataSource), config);
    expect((await executor.runOnce()).enqueued).toBe(8);
    const operations: Array<{ id: string; kind: string; payload: { group_id: string; user_ids: string[]; user_id?: string } }> = await dataSource.query(
      `SELECT id, kind, request->'command'->'payload' AS payload FROM operations
        WHERE account_id = $1 AND kind IN ('group.add_members', 'group.remove_member') ORDER BY kind, request->'command'->'payload'->>'group_id'`,
      [accountId],
    );
    expect(operations.map((op) => [op.kind, op.payload.group_id, op.payload.user_ids.length])).toEqual([
      ...[
        ['group.add_members', sales, 4],
        ['group.add_members', support, 2],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      ['group.remove_member', support, 2],
    ]);
    const removal = operations.find((op) => op.kind === 'group.remove_member')!;
    expect(removal.payload.user_id).toBe(removal.payload.user_ids[0]);
    const items: Array<{ operation_id: string }> = await dataSource.query(`SELECT operation_id FROM roster_run_items WHERE run_id = $1 ORDER BY item_no`, [applied.plan.roster_run_id]);
    expect(new Set(items.map((item) => item.operation_id)).size).toBe(3);
    const run = await new RosterRunRepository(dataSource).findInWorkspace(workspaceId, applied.plan.roster_run_id);
    expect(run?.progress).toEqual({ queued: 8 });
  });
});
