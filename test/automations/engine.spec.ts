import { randomBytes } from 'node:crypto';
import { AutomationConfigRepository, AutomationStateRepository, createDataSource, type MappingRuleInput } from '@kb4/persistence';
import { createLogger } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { AutomationEngine } from '../../apps/automations/src/engine/automation-engine';
import { AutomationJobs } from '../../apps/automations/src/jobs/automation-jobs';
import { createTenant, migratedDatabase } from '../gateway/support/gateway-harness';
import { seedConsoleGroup } from '../gateway/support/mirror-fixture';
import type { ThrowawayDatabase } from '../support/throwaway-database';

// Postgres-level: the engine against a real mirror, operations and outbox; the e2e walk needs the whole stack.
describe('automations engine (new hires, mapping rules, conflicts)', () => {
  const logger = createLogger('automations-test', 'silent');
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let accountId: string;
  let config: AutomationConfigRepository;
  let state: AutomationStateRepository;
  let engine: AutomationEngine;
  let nextRemoteId = 1000;

  const user = async (fields: Record<string, unknown>): Promise<string> => {
    const remoteId = String(nextRemoteId++);
    await dataSource.query(
      `INSERT INTO directory_users (account_id, remote_id, email_lower, status, record, content_hash) VALUES ($1, $2, $3, 'active', $4, 'h')`,
      [accountId, remoteId, `u${remoteId}@example.com`, JSON.stringify({ id: remoteId, status: 'active', groups: [], ...fields })],
    );
    return remoteId;
  };
  const group = async (name: string): Promise<string> => {
    const remoteId = String(nextRemoteId++);
    await seedConsoleGroup(dataSource, accountId, remoteId, name);
    return remoteId;
  };
  const setMember = async (groupId: string, userId: string, member: boolean) =>
    member
      ? dataSource.query(`INSERT INTO directory_group_members (account_id, group_remote_id, user_remote_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [accountId, groupId, userId])
      : dataSource.query(`DELETE FROM directory_group_members WHERE account_id = $1 AND group_remote_id = $2 AND user_remote_id = $3`, [accountId, groupId, userId]);
  const operations = (): Promise<Array<{ id: string; kind: string; request: { body: unknown; command: { payload: Record<string, unknown> } }; actor: Record<string, unknown> }>> =>
    dataSource.query(`SELECT id, kind, request, actor FROM operations WHERE account_id = $1 ORDER BY created_at, id`, [accountId]);
  /** What the provisioner would do: mark the operation succeeded and apply the membership to the mirror. */
  const applyAll = async () => {
    for (const op of await dataSource.query(`SELECT id, kind, request FROM operations WHERE account_id = $1 AND status = 'queued'`, [accountId])) {
      const payload = op.request.command.payload as { group_id: string; user_ids?: string[]; user_id?: string };
      if (op.kind === 'group.add_members') for (const id of payload.user_ids ?? []) await setMember(payload.group_id, id, true);
      if (op.kind === 'group.remove_member') await setMember(payload.group_id, payload.user_id!, false);
      await dataSource.query(`UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = $1`, [op.id]);
    }
  };
  const rule = (partial: Partial<MappingRuleInput>): MappingRuleInput => ({
    name: 'rule',
    match: 'all',
    conditions: [],
    effect: 'include',
    targetGroupId: null,
    targetGroupName: null,
    enabled: true,
    ...partial,
  });

  beforeAll(async () => {
    database = await migratedDatabase('kb4_automations_engine');
    dataSource = await createDataSource(database.url).initialize();
    ({ accountId } = await createTenant(database.url, randomBytes(32).toString('base64')));
    config = new AutomationConfigRepository(dataSource);
    state = new AutomationStateRepository(dataSource);
    engine = new AutomationEngine(config, state, { flapLimit: 3, flapWindowSeconds: 3600 }, logger, () => undefined);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    for (const table of ['operations', 'mapping_rules', 'automation_conflicts', 'automation_changes', 'new_hire_memberships', 'directory_group_members']) {
      await dataSource.query(`DELETE FROM ${table}`);
    }
    await dataSource.query(`DELETE FROM outbox_events`);
    await config.saveSettings(accountId, { newHiresEnabled: false, newHiresGroupName: 'New Hires', newHiresRemoveAfterDays: 30 });
  });

  it('creates the New Hires group when missing, then adds a new hire to it and removes them when the period ends', async () => {
    await config.saveSettings(accountId, { newHiresEnabled: true, newHiresGroupName: 'New Hires', newHiresRemoveAfterDays: 30 });
    const hire = await user({ department: 'Sales' });
    await engine.evaluateUserById(accountId, hire, true);
    expect((await operations()).map((op) => [op.kind, op.actor.source])).toEqual([['group.create', 'group_create']]);
    // the same evaluation again creates no second group (idempotency key)
    await engine.evaluateUserById(accountId, hire, false);
    expect(await operations()).toHaveLength(1);

    const newHires = await group('New Hires');
    await engine.evaluateUserById(accountId, hire, false);
    const added = (await operations()).filter((op) => op.kind === 'group.add_members');
    expect(added.map((op) => [op.request.command.payload, op.actor])).toEqual([[{ group_id: newHires, user_ids: [hire] }, { type: 'automation', source: 'new-hires', rule_ids: [] }]]);
    await applyAll();

    await dataSource.query(`UPDATE new_hire_memberships SET remove_after = now() - interval '1 second'`);
    await new AutomationJobs(state, engine, 60_000, logger).runOnce();
    const removed = (await operations()).filter((op) => op.kind === 'group.remove_member');
    expect(removed.map((op) => op.request.command.payload)).toEqual([{ group_id: newHires, user_id: hire }]);
  });

  it('moves a mover between the groups the rules map, and only those groups', async () => {
    const engineering = await group('Phish: Engineering');
    const sales = await group('Phish: Sales');
    const consoleOnly = await group('Console only');
    await config.createRule(accountId, rule({ name: 'eng', targetGroupId: engineering, conditions: [{ attribute: 'department', operator: 'equals', value: 'Engineering' }] }));
    await config.createRule(accountId, rule({ name: 'sales', targetGroupName: 'phish: sales', conditions: [{ attribute: 'department', operator: 'prefix', value: 'sal' }] }));
    const mover = await user({ department: 'Engineering' });
    await setMember(consoleOnly, mover, true);
    await engine.evaluateUserById(accountId, mover, false);
    await applyAll();

    await dataSource.query(`UPDATE directory_users SET record = record || '{"department":"Sales"}' WHERE remote_id = $1`, [mover]);
    await engine.evaluateUserById(accountId, mover, false);
    const ops = await operations();
    expect(ops[0].request.command.payload).toEqual({ group_id: engineering, user_ids: [mover] });
    // the move is one evaluation: both commands in one transaction, in no particular order
    expect(ops.slice(1).map((op) => [op.kind, op.request.command.payload]).sort()).toEqual([
      ['group.add_members', { group_id: sales, user_ids: [mover] }],
      ['group.remove_member', { group_id: engineering, user_id: mover }],
    ]);
    // pending commands are not sent twice while they are in flight
    await engine.evaluateUserById(accountId, mover, false);
    expect(await operations()).toHaveLength(3);
  });

  it('reports two fighting rules and sends nothing for that group', async () => {
    const target = await group('Phish: Berlin');
    await config.createRule(accountId, rule({ name: 'berlin', targetGroupId: target, conditions: [{ attribute: 'location', operator: 'equals', value: 'Berlin' }] }));
    await config.createRule(accountId, rule({ name: 'no contractors', effect: 'exclude', targetGroupId: target, conditions: [{ attribute: 'title', operator: 'regex', value: '^contract' }] }));
    const fought = await user({ location: 'Berlin', title: 'Contractor' });
    for (let round = 0; round < 5; round++) await engine.evaluateUserById(accountId, fought, false);
    expect(await operations()).toHaveLength(0);
    const conflicts = await config.listConflicts(accountId, { limit: 10 });
    expect(conflicts.map((c) => [c.kind, c.userId, c.groupName, c.occurrences])).toEqual([['rule_conflict', fought, 'Phish: Berlin', 5]]);
  });

  it('stops a console edit undone and redone every sync after the flap limit, with a bounded number of commands', async () => {
    const target = await group('Phish: Finance');
    await config.createRule(accountId, rule({ name: 'finance', targetGroupId: target, conditions: [{ attribute: 'department', operator: 'equals', value: 'Finance' }] }));
    const member = await user({ department: 'Finance' });
    for (let sync = 0; sync < 10; sync++) {
      await engine.evaluateUserById(accountId, member, false);
      await applyAll();
      await setMember(target, member, false); // someone removes them in the console again; the next sync sees it
    }
    expect((await operations()).length).toBe(3);
    const conflicts = await config.listConflicts(accountId, { limit: 10 });
    expect(conflicts.map((c) => [c.kind, c.groupName])).toEqual([['flapping', 'Phish: Finance']]);

    // resolved: automations change it again, with a fresh count
    await config.resolveConflict(accountId, conflicts[0].id);
    await engine.evaluateUserById(accountId, member, false);
    expect((await operations()).length).toBe(4);
  });

  it('re-evaluates everyone once after a rule change, resumably page by page', async () => {
    const target = await group('Phish: Ops');
    const members = [await user({ department: 'Ops' }), await user({ department: 'ops ' }), await user({ department: 'Legal' })];
    await config.createRule(accountId, rule({ name: 'ops', targetGroupId: target, conditions: [{ attribute: 'department', operator: 'equals', value: 'ops' }] }));
    await new AutomationJobs(state, engine, 60_000, logger).runOnce();
    const added = (await operations()).map((op) => (op.request.command.payload.user_ids as string[])[0]);
    expect(added.sort()).toEqual(members.slice(0, 2).sort());
    await new AutomationJobs(state, engine, 60_000, logger).runOnce();
    expect(await operations()).toHaveLength(2);
  });
});
