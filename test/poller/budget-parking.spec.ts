import { INestApplicationContext } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { Clock, DAY_MS, sharedRatePacers, systemClock } from '@kb4/knowbe4';
import { DataSource } from 'typeorm';
import { startSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, runStatuses, startPollerInProcess, waitFor, waitForRun } from './support';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const DAILY_LIMIT = 6;

async function eventIds(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ event_id: string }> = await dataSource.query(`SELECT event_id FROM outbox_events WHERE topic = $1 ORDER BY event_id`, [TOPICS.directoryEvents]);
  return rows.map((row) => row.event_id);
}

describe('poller: a spent daily budget parks the run until the window opens', () => {
  let sandbox: Sandbox;
  let tenant: ReturnType<Sandbox['createTenant']>;
  const databases: ThrowawayDatabase[] = [];
  const dataSources: DataSource[] = [];
  let poller: INestApplicationContext | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 41, users: 36, region: 'us', rate_limit_profile: 'documented' });
  });

  afterAll(async () => {
    await poller?.close();
    for (const ds of dataSources) await ds.destroy();
    for (const db of databases) await db.drop();
    await sandbox?.close();
    sharedRatePacers.clear();
  });

  it('parks as waiting_for_budget with resume_at, resumes from its checkpoint, and emits exactly the events of an unlimited run', async () => {
    // the directory walk is what parks here; the identity graph (its own budget share and cadences) is tested apart
    const env = { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '8', SYNC_PAGE_CONCURRENCY: '2', SYNC_GRAPH: 'false' };

    // the reference: the same tenant synced without any limit
    const a = await pollerDatabase('budget_ref');
    databases.push(a.database);
    dataSources.push(a.dataSource);
    const accountId = await connectAccount(a.dataSource, tenant);
    poller = await startPollerInProcess(pollerEnv(a.database.url, sandbox.url, { ...env, KNOWBE4_RATE_PROFILE: 'off' }));
    const [refRun] = await waitFor('the reference run', async () => (await runStatuses(a.dataSource, accountId)).length > 0 && runStatuses(a.dataSource, accountId));
    expect((await waitForRun(a.dataSource, refRun.id)).status).toBe('completed');
    await poller.close();
    poller = undefined;
    const expected = await eventIds(a.dataSource);
    const [{ pages: refPages, requests: refRequests }] = await a.dataSource.query(`SELECT pages, requests FROM sync_runs WHERE id = $1`, [refRun.id]);
    expect(refRequests).toBeGreaterThan(DAILY_LIMIT * 2);

    // KnowBe4's documented pacing with a tiny daily budget, on a clock the test moves a day ahead when it lets the
    // day pass (Postgres's clock cannot be moved, so the parked run's resume_at is brought forward with it)
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset, sleep: systemClock.sleep };
    sharedRatePacers.clear();
    sharedRatePacers.pacerFor('us', tenant.reporting_api_key, { profile: 'documented', dailyLimit: DAILY_LIMIT, clock });

    const b = await pollerDatabase('budget');
    databases.push(b.database);
    dataSources.push(b.dataSource);
    const otherId = await connectAccount(b.dataSource, tenant);
    await b.dataSource.query(`UPDATE integrated_accounts SET id = $1 WHERE id = $2`, [accountId, otherId]);
    // event ids include the run id: the limited run is the reference run's twin
    await b.dataSource.query(`INSERT INTO sync_runs (id, account_id, status, trigger) VALUES ($1, $2, 'queued', 'initial')`, [refRun.id, accountId]);
    poller = await startPollerInProcess(pollerEnv(b.database.url, sandbox.url, { ...env, KNOWBE4_RATE_PROFILE: 'documented', KNOWBE4_SHARED_BUDGET: 'false', SYNC_SCHEDULER_TICK_MS: '100' }));

    type RunRow = { status: string; resume_at: Date | null; checkpoint: Record<string, unknown> | null; pages: number; requests: number };
    const row = async (): Promise<RunRow> =>
      (await b.dataSource.query<RunRow[]>(`SELECT status, resume_at, checkpoint, pages, requests FROM sync_runs WHERE id = $1`, [refRun.id]))[0];
    const parks: RunRow[] = [];
    let finished: RunRow | undefined;
    while (!finished) {
      const current = await waitFor('the run to park or finish', async () => {
        const r = await row();
        return ['waiting_for_budget', 'completed', 'failed'].includes(r.status) ? r : undefined;
      }, 60_000);
      if (current.status !== 'waiting_for_budget') {
        finished = current;
        break;
      }
      parks.push(current);
      const windowEnd = sharedRatePacers.pacerFor('us', tenant.reporting_api_key, { profile: 'documented' }).snapshot().dailyWindowResetsAt;
      expect(current.resume_at?.getTime()).toBe(windowEnd?.getTime());
      // nobody picks a parked run up before its resume_at
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await row()).status).toBe('waiting_for_budget');
      expect(parks.length).toBeLessThan(20);
      // a day passes
      offset += DAY_MS;
      await b.dataSource.query(`UPDATE sync_runs SET resume_at = now() WHERE id = $1 AND status = 'waiting_for_budget'`, [refRun.id]);
      await waitFor('the run to resume', async () => (await row()).status !== 'waiting_for_budget');
    }
    expect(finished.status).toBe('completed');

    // it parked several times, each time keeping the checkpoint it had reached, which only moves forward
    expect(parks.length).toBeGreaterThanOrEqual(2);
    const positions = parks.map((park) => [['groups', 'users', 'enrollments', 'finalize'].indexOf(String(park.checkpoint?.phase)), Number(park.checkpoint?.page)]);
    for (let i = 1; i < positions.length; i++) {
      const [phase, page] = positions[i];
      const [previousPhase, previousPage] = positions[i - 1];
      expect(phase > previousPhase || (phase === previousPhase && page >= previousPage)).toBe(true);
    }
    expect(parks.map((park) => park.pages)).toEqual([...parks.map((park) => park.pages)].sort((x, y) => x - y));
    // resumed from the checkpoint: each resume re-reads only its last committed page (to see whether the list
    // shifted), so a restart from scratch would show here; and one run did it all
    const [{ pages }] = await b.dataSource.query(`SELECT pages FROM sync_runs WHERE id = $1`, [refRun.id]);
    expect(pages).toBeGreaterThanOrEqual(refPages);
    expect(pages).toBeLessThanOrEqual(refPages + parks.length);
    expect(await runStatuses(b.dataSource, accountId)).toHaveLength(1);
    // the same logical events as the unlimited run: none missing, none extra
    expect(await eventIds(b.dataSource)).toEqual(expected);
  }, 120_000);
});
