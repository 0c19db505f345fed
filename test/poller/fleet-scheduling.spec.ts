import { INestApplicationContext } from '@nestjs/common';
import { FleetStatusRepository, SyncQueueRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { startSandbox, type RunningSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, startPollerInProcess, waitFor, waitForRun } from './support';

describe('poller for a fleet: requests per sync, claim order, lag (issue 16)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let sandbox: RunningSandbox;
  let poller: INestApplicationContext | undefined;

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('fleet'));
    sandbox = await startSandbox({ port: 0 });
  });

  afterAll(async () => {
    await poller?.close();
    await sandbox?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('a no-change sync costs only the pages of groups and users, counted in the sandbox; enrollments and GET /account wait for their cadence', async () => {
    const tenant = sandbox.createTenant({ seed: 16, users: 1200, rate_limit_profile: 'off' });
    const accountId = await connectAccount(dataSource, tenant);
    const requests: string[] = [];
    const take = sandbox.limiter.take.bind(sandbox.limiter);
    jest.spyOn(sandbox.limiter, 'take').mockImplementation((t, surface) => {
      if (t.id === tenant.id) requests.push(surface);
      return take(t, surface);
    });
    poller = await startPollerInProcess(
      pollerEnv(database.url, sandbox.url, {
        OUTBOX_RELAY_ENABLED: 'false',
        SYNC_GRAPH: 'false',
        POLL_INTERVAL_SECONDS: '3600',
        SYNC_ENROLLMENTS_INTERVAL_SECONDS: '21600',
        SYNC_ACCOUNT_INTERVAL_SECONDS: '21600',
      }),
    );
    const [initial] = await waitFor('the initial run', async () => {
      const rows = await dataSource.query<Array<{ id: string }>>(`SELECT id FROM sync_runs WHERE account_id = $1`, [accountId]);
      return rows.length > 0 && rows;
    });
    await waitForRun(dataSource, initial.id);
    const [first] = await dataSource.query<Array<{ plan: { by_phase: Record<string, number>; lists: Record<string, { read: boolean }> } }>>(
      `SELECT request_plan AS plan FROM sync_runs WHERE id = $1`,
      [initial.id],
    );
    expect(first.plan.lists).toEqual({ enrollments: { read: true }, account: { read: true } });
    expect(first.plan.by_phase.enrollments).toBeGreaterThan(0);

    const before = requests.length;
    const { run } = await new SyncQueueRepository(dataSource).queueManualSync(accountId);
    expect((await waitForRun(dataSource, run.id)).status).toBe('completed');
    const [second] = await dataSource.query<
      Array<{ requests: number; events: number; plan: { minimum: number; by_phase: Record<string, number>; lists: Record<string, { read: boolean; due_at?: string }>; day: Record<string, unknown> } }>
    >(`SELECT requests, (counts->>'events_emitted')::int AS events, request_plan AS plan FROM sync_runs WHERE id = $1`, [run.id]);
    expect(second.events).toBe(0);
    // 1,200 users: three pages of 500; the groups: one page
    expect(second.plan.minimum).toBe(4);
    expect(requests.length - before).toBe(4);
    expect(second.requests).toBe(4);
    expect(second.plan.by_phase).toEqual({ groups: 1, users: 3 });
    expect(second.plan.lists.enrollments.read).toBe(false);
    expect(second.plan.lists.account.read).toBe(false);
    expect(second.plan.day).toMatchObject({ daily_budget: 3200, syncs_per_day: 24, minimum_per_sync: 4, fits: true });
  });

  it('claims manual runs first, then the most overdue, and runs whose owner renews its lease last; reports lag against cadence', async () => {
    await poller?.close();
    poller = undefined;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await connectAccount(dataSource, { region: 'us', reporting_api_key: `k-${i}-${Date.now()}`, scim_token: `t-${i}`, scim_base_url: 'http://127.0.0.1:9/scim/v2' }));
    const [overdue, manual, owned] = ids;
    await dataSource.query(`UPDATE sync_runs SET status = 'completed' WHERE status IN ('queued', 'running', 'waiting_for_budget')`);
    await dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger, started_at, lease_owner, lease_expires_at) VALUES
         ($1, 'queued', 'schedule', now() - interval '10 minutes', NULL, NULL),
         ($2, 'queued', 'manual', now(), NULL, NULL),
         ($3, 'running', 'schedule', now() - interval '1 hour', 'another-replica', now() + interval '2 minutes')`,
      [overdue, manual, owned],
    );
    const claimable = await new SyncQueueRepository(dataSource).listClaimable(10);
    expect(claimable.map((c) => c.accountId)).toEqual([manual, overdue, owned]);

    await dataSource.query(`UPDATE integrated_accounts SET last_sync_completed_at = now() - interval '30 minutes' WHERE id = $1`, [overdue]);
    const lags = await new FleetStatusRepository(dataSource).syncLagOfActive(900);
    const lag = lags.find((l) => l.accountId === overdue)!;
    expect(lag.cadenceSeconds).toBe(900);
    expect(lag.lagSeconds! / lag.cadenceSeconds).toBeGreaterThan(1.9);
    expect(lags.find((l) => l.accountId === manual)!.lagSeconds).toBeNull();
    // at TIME_SCALE 60 the 15-minute cadence lasts 15 s
    expect((await new FleetStatusRepository(dataSource).syncLagOfActive(900, 60)).find((l) => l.accountId === overdue)!.cadenceSeconds).toBe(15);
  });
});
