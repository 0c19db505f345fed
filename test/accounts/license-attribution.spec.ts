import { randomUUID } from 'node:crypto';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, LicenseRepository, runMigrations, WorkspaceRepository } from '@kb4/persistence';
import type { DataSource } from 'typeorm';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/throwaway-database';

const T = Date.parse('2026-11-20T10:00:00.000Z');
const at = (offsetMs: number): string => new Date(T + offsetMs).toISOString();
const MINUTE = 60_000;

describe('LicenseRepository: when and through what each user was archived (real Postgres)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let repository: LicenseRepository;
  let workspaceId: string;
  let accountId: string;
  let remoteId = 9_000_000;

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_license_attribution_${process.pid}_${Date.now().toString(36)}`);
    await runMigrations(database.url);
    dataSource = await createDataSource(database.url).initialize();
    repository = new LicenseRepository(dataSource);
    workspaceId = (await new WorkspaceRepository(dataSource).createWorkspace('licenses')).id;
    accountId = (
      await new IntegratedAccountRepository(dataSource, new CredentialCipher(CredentialCipher.generateKey())).connect({
        workspaceId,
        label: 'licenses',
        region: 'us',
        credentials: { reporting_api_key: 'k', scim_token: 't' },
        scimBaseUrl: null,
      })
    ).id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A mirrored user; `remote` is the Reporting record a sync stored (null: created through SCIM, never synced). */
  async function user(email: string, status: 'active' | 'inactive', remote: { status: string; archived_at: string | null } | null, updatedAt = at(0)): Promise<string> {
    const id = String(++remoteId);
    await dataSource.query(
      `INSERT INTO directory_users (account_id, remote_id, email_lower, status, record, remote_data, content_hash, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'h', $7)`,
      [accountId, remote ? id : null, email, status, JSON.stringify({ username: email }), remote ? JSON.stringify({ id: Number(id), email, ...remote }) : null, updatedAt],
    );
    return id;
  }

  async function operation(email: string, kind: string, changes: Record<string, unknown> | null, created: string, finished: string, options: { status?: string; actor?: unknown } = {}): Promise<string> {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO operations (id, workspace_id, account_id, kind, status, target_key, request, created_at, updated_at, finished_at, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)`,
      [id, workspaceId, accountId, kind, options.status ?? 'succeeded', `${accountId}:user:${email}`,
        JSON.stringify({ method: 'X', path: '/', body: null, command: { type: 't', key: 'k', payload: changes ? { changes } : {} } }), created, finished,
        options.actor === undefined ? null : JSON.stringify(options.actor)],
    );
    return id;
  }

  it('attributes each archive to our write that did it, a roster run, the console, or nothing known', async () => {
    const key = { type: 'api_key', id: randomUUID() };
    // 1. DELETE /users/{id}: KnowBe4's archived_at falls within the operation's lifetime
    const viaApi = await user('api@example.com', 'inactive', { status: 'archived', archived_at: at(1_000) });
    const apiOp = await operation('api@example.com', 'user.archive', null, at(-2_000), at(3_000), { actor: key });
    // 2. a roster leaver: a PATCH status inactive that is a roster run's item
    const viaRoster = await user('roster@example.com', 'inactive', { status: 'archived', archived_at: at(0) });
    const rosterOp = await operation('roster@example.com', 'user.update', { status: 'inactive' }, at(-1_000), at(1_000), { actor: key });
    const runId = randomUUID();
    await dataSource.query(`INSERT INTO roster_runs (id, workspace_id, account_id, status, dry_run, forced) VALUES ($1, $2, $3, 'completed', false, false)`, [runId, workspaceId, accountId]);
    await dataSource.query(
      `INSERT INTO roster_run_items (run_id, item_no, action, email, change, intent, operation_id) VALUES ($1, 1, 'archive', 'roster@example.com', '{}', '{}', $2)`,
      [runId, rosterOp],
    );
    // 3. our archive a day earlier, then the console's (after a reactivation nobody recorded): the console's
    const viaConsole = await user('console@example.com', 'inactive', { status: 'archived', archived_at: at(0) });
    await operation('console@example.com', 'user.archive', null, at(-24 * 60 * MINUTE), at(-24 * 60 * MINUTE + 1_000));
    // 4. archived through us, no sync has seen the user yet: the write's finish is the date
    await user('fresh@example.com', 'inactive', null);
    const freshOp = await operation('fresh@example.com', 'user.update', { status: 'inactive', title: 'Gone' }, at(-5_000), at(-4_000), { actor: { type: 'admin' } });
    // 5. inactive in the mirror, the mirrored record still active, no write of ours: unknown
    const orphan = await user('orphan@example.com', 'inactive', { status: 'active', archived_at: null }, at(-7_000));
    // 6. our archive, reactivated (the poller saw it) and archived in the console 30 s later: the console's
    const rearchived = await user('again@example.com', 'inactive', { status: 'archived', archived_at: at(30_000) });
    await operation('again@example.com', 'user.archive', null, at(-1_000), at(1_000), { actor: key });
    await dataSource.query(
      `INSERT INTO outbox_events (event_id, topic, message_key, event_type, payload, created_at) VALUES ($1, 'knowbe4.directory.events', $2, 'knowbe4.user.reactivated', '{}', $3)`,
      [randomUUID(), `${accountId}:user:${rearchived}`, at(10_000)],
    );
    // 7. our reactivating PATCH after our archive, then the console archived again: the console's
    const patchedBack = await user('patched@example.com', 'inactive', { status: 'archived', archived_at: at(20_000) });
    await operation('patched@example.com', 'user.archive', null, at(-1_000), at(1_000), { actor: key });
    await operation('patched@example.com', 'user.update', { status: 'active' }, at(5_000), at(6_000), { actor: key });
    // 8. a failed archive does not count; 9. an active user is no archive
    const failedWrite = await user('failed@example.com', 'inactive', { status: 'archived', archived_at: at(0) });
    await operation('failed@example.com', 'user.archive', null, at(-1_000), at(1_000), { status: 'failed', actor: key });
    await user('active@example.com', 'active', { status: 'active', archived_at: null });

    const rows = await repository.archivedUsers(accountId, 100);
    const byId = new Map(rows.map((row) => [row.remoteId ?? row.email, row]));
    expect(byId.get(viaApi)).toMatchObject({ source: 'api', operationId: apiOp, actor: key, archivedAt: new Date(at(1_000)) });
    expect(byId.get(viaRoster)).toMatchObject({ source: 'roster', operationId: rosterOp, actor: { type: 'roster', id: runId } });
    expect(byId.get(viaConsole)).toMatchObject({ source: 'knowbe4-console', operationId: null, archivedAt: new Date(at(0)) });
    // a user no sync has seen has no Reporting id: keyed by email here
    expect(byId.get('fresh@example.com')).toMatchObject({ source: 'api', operationId: freshOp, actor: { type: 'admin' }, archivedAt: new Date(at(-4_000)), remoteId: null });
    expect(byId.get(orphan)).toMatchObject({ source: 'unknown', operationId: null, archivedAt: new Date(at(-7_000)) });
    expect(byId.get(rearchived)).toMatchObject({ source: 'knowbe4-console', operationId: null });
    expect(byId.get(patchedBack)).toMatchObject({ source: 'knowbe4-console', operationId: null });
    expect(byId.get(failedWrite)).toMatchObject({ source: 'knowbe4-console', operationId: null });
    expect(rows).toHaveLength(8);
    // newest first
    expect(rows.map((row) => row.archivedAt.getTime())).toEqual(rows.map((row) => row.archivedAt.getTime()).sort((a, b) => b - a));

    const counts = await repository.seatCounts(accountId);
    expect(counts).toEqual({ activeUsers: 1, archivedUsers: 8, freedLast30Days: 8, freedLast90Days: 8 });
  });

  it('counts only archives inside the window as freed seats, and pages by (archived_at, seq) without repeats', async () => {
    await user('old@example.com', 'inactive', { status: 'archived', archived_at: new Date(Date.now() - 60 * 24 * 60 * MINUTE).toISOString() });
    await user('older@example.com', 'inactive', { status: 'archived', archived_at: new Date(Date.now() - 120 * 24 * 60 * MINUTE).toISOString() });
    const counts = await repository.seatCounts(accountId);
    expect(counts).toMatchObject({ archivedUsers: 10, freedLast90Days: 9 });
    expect(counts.freedLast30Days).toBe(counts.freedLast90Days - 1);

    const seen: string[] = [];
    let after: { archivedAt: string; seq: string } | undefined;
    for (;;) {
      const page = await repository.archivedUsers(accountId, 3, after);
      seen.push(...page.map((row) => row.seq));
      if (page.length < 3) break;
      const last = page[page.length - 1];
      after = { archivedAt: last.archivedAtKey, seq: last.seq };
    }
    expect(seen).toHaveLength(10);
    expect(new Set(seen).size).toBe(10);
  });

  it('stores the seat figures of GET /v1/account (null when a trial account omits them), replacing the earlier ones', async () => {
    expect(await repository.subscriptionOf(accountId)).toBeNull();
    await repository.recordSubscription(dataSource.manager, accountId, null, { number_of_seats: 120, subscription_level: 'Diamond', subscription_end_date: '2027-06-30' });
    expect(await repository.subscriptionOf(accountId)).toMatchObject({ numberOfSeats: 120, subscriptionLevel: 'Diamond', subscriptionEndDate: '2027-06-30' });
    await repository.recordSubscription(dataSource.manager, accountId, null, {});
    expect(await repository.subscriptionOf(accountId)).toMatchObject({ numberOfSeats: null, subscriptionLevel: null });
    // an account deleted meanwhile: nothing stored, no error
    await repository.recordSubscription(dataSource.manager, randomUUID(), null, { number_of_seats: 5 });
  });
});
