import { INestApplicationContext } from '@nestjs/common';
import { budgetKeyFor } from '@kb4/knowbe4';
import { SyncQueueRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { startSandbox, type RunningSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { PollerMetrics } from '../../apps/poller/src/metrics/poller-metrics';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, startPollerInProcess, waitForRun } from './support';

// KnowBe4's documented windows compressed 3×: the 50-per-minute window lasts 20 s
const TIME_SCALE = 3;
const MINUTE_WINDOW_MS = 60_000 / TIME_SCALE;

interface RunRow {
  id: string;
  account_id: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
}

describe('poller: a run waiting for its tenant\'s pace never blocks another tenant\'s run (issue 16 point 2)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let sandbox: RunningSandbox;
  let poller: INestApplicationContext | undefined;

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('pace'));
    sandbox = await startSandbox({ port: 0 });
  });

  afterAll(async () => {
    await poller?.close();
    await sandbox?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('with one run slot, the ready tenant syncs while the tenant whose 50/min window is drained waits, which completes after its window', async () => {
    // the sandbox answers at once; the poller paces itself against the budgets it shares in Postgres
    const drained = sandbox.createTenant({ seed: 161, users: 30, rate_limit_profile: 'off' });
    const ready = sandbox.createTenant({ seed: 162, users: 30, rate_limit_profile: 'off' });
    const drainedId = await connectAccount(dataSource, drained);
    const readyId = await connectAccount(dataSource, ready);

    // the drained tenant's 50 requests of this minute are spent (by another process of the fleet, say)
    const key = budgetKeyFor(drained.region, drained.reporting_api_key);
    const drainedAt = Date.now();
    await dataSource.query(`INSERT INTO knowbe4_rate_budgets (budget_key) VALUES ($1) ON CONFLICT DO NOTHING`, [key]);
    await dataSource.query(`INSERT INTO knowbe4_rate_slots (budget_key, slot_ms, lane) SELECT $1, $2, 'sync' FROM generate_series(1, 50)`, [key, drainedAt]);

    // the drained tenant's run is claimed first (both manual: the older first)
    const queue = new SyncQueueRepository(dataSource);
    const waitingRun = (await queue.queueManualSync(drainedId)).run;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const readyRun = (await queue.queueManualSync(readyId)).run;

    const metrics = PollerMetrics.shared();
    let working = 0;
    let waitingForPace = 0;
    let twoRunsOfOneAccount = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        working = Math.max(working, (await metrics.runSlotsInUse.get()).values[0]?.value ?? 0);
        waitingForPace = Math.max(waitingForPace, (await metrics.runsWaitingForPace.get()).values[0]?.value ?? 0);
        const [{ most }] = await dataSource.query<Array<{ most: number }>>(
          `SELECT COALESCE(max(n), 0)::int AS most FROM (SELECT count(*) AS n FROM sync_runs WHERE status = 'running' GROUP BY account_id) r`,
        );
        if (most > 1) twoRunsOfOneAccount = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    poller = await startPollerInProcess(
      pollerEnv(database.url, sandbox.url, {
        OUTBOX_RELAY_ENABLED: 'false',
        SYNC_GRAPH: 'false',
        KNOWBE4_RATE_PROFILE: 'documented',
        KNOWBE4_SHARED_BUDGET: 'true',
        TIME_SCALE: String(TIME_SCALE),
        POLL_INTERVAL_SECONDS: '36000',
        SYNC_MAX_CONCURRENT_RUNS: '1',
      }),
    );
    expect((await waitForRun(dataSource, readyRun.id)).status).toBe('completed');
    expect((await waitForRun(dataSource, waitingRun.id, ['completed', 'failed'], 120_000)).status).toBe('completed');
    sampling = false;
    await sampler;

    const rows = await dataSource.query<RunRow[]>(`SELECT id, account_id, status, started_at, finished_at FROM sync_runs WHERE id = ANY($1::uuid[])`, [
      [waitingRun.id, readyRun.id],
    ]);
    const waited = rows.find((r) => r.id === waitingRun.id)!;
    const went = rows.find((r) => r.id === readyRun.id)!;
    // the waiting run held the only slot first, gave it back while it waited, and the ready run completed meanwhile
    expect(waited.started_at.getTime()).toBeLessThan(went.started_at.getTime());
    expect(went.finished_at!.getTime()).toBeLessThan(drainedAt + MINUTE_WINDOW_MS);
    // the waiting run sent nothing before its window reopened
    expect(waited.finished_at!.getTime()).toBeGreaterThanOrEqual(drainedAt + MINUTE_WINDOW_MS);
    expect(working).toBe(1);
    expect(waitingForPace).toBeGreaterThanOrEqual(1);
    expect(twoRunsOfOneAccount).toBe(false);
  });
});
