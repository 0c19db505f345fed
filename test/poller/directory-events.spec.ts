import { INestApplicationContext } from '@nestjs/common';
import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { SyncQueueRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { startSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import {
  collectEvents,
  connectAccount,
  pollerDatabase,
  pollerEnv,
  ReceivedEvent,
  runStatuses,
  sandboxCall,
  startPollerInProcess,
  waitFor,
  waitForRun,
} from './support';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

describe('poller: directory events after sandbox mutations and a sync', () => {
  let sandbox: Sandbox;
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let poller: INestApplicationContext;
  let accountId: string;
  let tenant: ReturnType<Sandbox['createTenant']>;
  let consumer: Awaited<ReturnType<typeof collectEvents>>;
  const admin = (path: string): string => `${sandbox.url}/_sandbox/tenants/${tenant.id}${path}`;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 11, users: 40, region: 'us', rate_limit_profile: 'off' });
    ({ database, dataSource } = await pollerDatabase('events'));
    accountId = await connectAccount(dataSource, tenant);
    consumer = await collectEvents(accountId);
    poller = await startPollerInProcess(pollerEnv(database.url, sandbox.url));
  });

  afterAll(async () => {
    await poller?.close();
    await consumer?.stop();
    await dataSource?.destroy();
    await database?.drop();
    await sandbox?.close();
  });

  const ofType = (events: ReceivedEvent[], type: string): ReceivedEvent[] => events.filter((e) => e.event.type === type);

  it('syncs a new account at once and emits a created baseline for every user and group', async () => {
    const [initial] = await waitFor('the initial run', async () => (await runStatuses(dataSource, accountId)).length > 0 && runStatuses(dataSource, accountId));
    const run = await waitForRun(dataSource, initial.id);
    expect(run.status).toBe('completed');
    const [{ n: users }] = await dataSource.query(`SELECT count(*)::int AS n FROM directory_users WHERE account_id = $1`, [accountId]);
    expect(users).toBeGreaterThanOrEqual(40);
    await waitFor('created events', async () => ofType(consumer.events, DIRECTORY_EVENT_TYPES.userCreated).length >= users);
    expect(ofType(consumer.events, DIRECTORY_EVENT_TYPES.groupCreated).length).toBe(run.counts.groups_created);
    const created = ofType(consumer.events, DIRECTORY_EVENT_TYPES.userCreated)[0];
    expect(created.key).toBe(`${accountId}:user:${String(created.event.data.remote_id)}`);
    expect(created.event.data.user).toMatchObject({ id: created.event.data.remote_id });
  });

  it('emits updated (exact fields), archived, reactivated, deleted, group, membership and risk events once each', async () => {
    const users = (await (await fetch(`${tenant.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })).json()) as Array<{ id: number; email: string; status: string; groups: number[] }>;
    const active = users.filter((u) => u.status === 'active');
    const [edited, archivedViaScim, deleted, risky, member] = active;
    const archived = users.find((u) => u.status === 'archived') ?? active[5];
    if (archived === active[5]) await sandboxCall(admin(`/users/${archived.id}`), 'PATCH', { status: 'archived' });
    const before = consumer.events.length;
    if (archived === active[5]) {
      const pre = (await new SyncQueueRepository(dataSource).queueManualSync(accountId)).run;
      await waitForRun(dataSource, pre.id);
    }

    await sandboxCall(admin(`/users/${edited.id}`), 'PATCH', { job_title: 'Chief Test Officer', department: 'QA' });
    const scim = (await sandboxCall(`${tenant.scim_base_url}/Users?filter=${encodeURIComponent(`userName eq "${archivedViaScim.email}"`)}`, 'GET', undefined, {
      authorization: `Bearer ${tenant.scim_token}`,
    })) as { Resources: Array<{ id: string }> };
    await sandboxCall(`${tenant.scim_base_url}/Users/${scim.Resources[0].id}`, 'PATCH', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    }, { authorization: `Bearer ${tenant.scim_token}` });
    await sandboxCall(admin(`/users/${archived.id}`), 'PATCH', { status: 'active' });
    await sandboxCall(admin(`/users/${deleted.id}`), 'DELETE');
    await sandboxCall(admin(`/users/${risky.id}/risk`), 'PATCH', { current_risk_score: 99.5 });
    const group = (await sandboxCall(admin('/groups'), 'POST', { name: 'Poller test group' })) as { id: number };
    await sandboxCall(admin(`/groups/${group.id}/members/${member.id}`), 'PUT');

    const { id: runId } = (await new SyncQueueRepository(dataSource).queueManualSync(accountId)).run;
    const run = await waitForRun(dataSource, runId);
    expect(run.status).toBe('completed');
    await waitFor('the run completed event to be relayed', async () =>
      consumer.events.slice(before).some((e) => e.event.type === DIRECTORY_EVENT_TYPES.groupMemberAdded && e.event.data.user_id === String(member.id)),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = consumer.events.slice(before).filter((e) => e.event.data.sync_run_id === runId);
    const about = (id: number | string, type: string): ReceivedEvent[] => fresh.filter((e) => e.event.type === type && e.event.data.remote_id === String(id));

    const updated = about(edited.id, DIRECTORY_EVENT_TYPES.userUpdated);
    expect(updated).toHaveLength(1);
    expect((updated[0].event.data.changes as Array<{ field: string }>).map((c) => c.field)).toEqual(['department', 'title']);
    expect(updated[0].event.data.changes).toContainEqual({ field: 'title', from: expect.anything(), to: 'Chief Test Officer' });
    expect(about(archivedViaScim.id, DIRECTORY_EVENT_TYPES.userArchived)).toHaveLength(1);
    expect(about(archived.id, DIRECTORY_EVENT_TYPES.userReactivated)).toHaveLength(1);
    expect(about(deleted.id, DIRECTORY_EVENT_TYPES.userDeleted)).toHaveLength(1);
    const risk = about(risky.id, DIRECTORY_EVENT_TYPES.userRiskChanged);
    expect(risk).toHaveLength(1);
    expect(risk[0].event.data.changes).toEqual([expect.objectContaining({ field: 'current_risk_score', to: 99.5 })]);
    expect(about(group.id, DIRECTORY_EVENT_TYPES.groupCreated)).toHaveLength(1);
    const added = fresh.filter((e) => e.event.type === DIRECTORY_EVENT_TYPES.groupMemberAdded && e.event.data.group_id === String(group.id));
    expect(added.map((e) => e.event.data.user_id)).toEqual([String(member.id)]);
    expect(added[0].key).toBe(`${accountId}:group:${group.id}`);
    // nothing about users that did not change
    const touched = new Set([edited, archivedViaScim, archived, deleted, risky, member].map((u) => String(u.id)));
    const userEvents = fresh.filter((e) => e.event.type.startsWith('knowbe4.user.'));
    expect(userEvents.every((e) => touched.has(String(e.event.data.remote_id)))).toBe(true);
    // once per logical change: ids are unique
    expect(new Set(fresh.map((e) => e.event.id)).size).toBe(fresh.length);
    // ordered per key: every key lives on one partition with increasing offsets
    const partitions = new Map<string, number>();
    for (const e of fresh) {
      expect(partitions.get(e.key!) ?? e.partition).toBe(e.partition);
      partitions.set(e.key!, e.partition);
    }
  });

  it('emits nothing when nothing changed', async () => {
    const before = consumer.events.length;
    const { id: runId } = (await new SyncQueueRepository(dataSource).queueManualSync(accountId)).run;
    const run = await waitForRun(dataSource, runId);
    expect(run.status).toBe('completed');
    expect(run.counts.events_emitted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(consumer.events.length).toBe(before);
  });

  it('emits no deleted events when a run fails half-way', async () => {
    const users = (await (await fetch(`${tenant.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })).json()) as Array<{ id: number }>;
    await sandboxCall(admin(`/users/${users[3].id}`), 'DELETE');
    await sandboxCall(`${sandbox.url}/_sandbox/faults`, 'PUT', { rules: [{ path_prefix: '/v1/training/enrollments', tenant_id: tenant.id, statuses: [500] }] });
    try {
      const { id: runId } = (await new SyncQueueRepository(dataSource).queueManualSync(accountId)).run;
      const run = await waitForRun(dataSource, runId, ['completed', 'failed'], 90_000);
      expect(run.status).toBe('failed');
      expect(run.counts.users_deleted).toBe(0);
      const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM directory_users WHERE account_id = $1 AND remote_id = $2`, [accountId, users[3].id]);
      expect(n).toBe(1);
      const [{ deletes }] = await dataSource.query(`SELECT count(*)::int AS deletes FROM outbox_events WHERE event_type = $1 AND payload->'data'->>'sync_run_id' = $2`, [
        DIRECTORY_EVENT_TYPES.userDeleted,
        runId,
      ]);
      expect(deletes).toBe(0);
    } finally {
      await sandboxCall(`${sandbox.url}/_sandbox/faults`, 'DELETE');
    }
  });
});
