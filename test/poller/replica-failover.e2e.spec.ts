import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { startSandbox, type RunningSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, waitFor } from './support';

const root = resolve(__dirname, '../..');
const TENANTS = 6;
const LEASE_SECONDS = 10;

function spawnReplica(name: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', 'apps/poller/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, POLLER_INSTANCE_ID: name, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill(signal);
  });
}

interface RunRow {
  id: string;
  account_id: string;
  status: string;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
}

/**
 * Issue 16 acceptance: three poller replicas on one database split a fleet through the run leases; one is SIGKILLed
 * while it runs syncs. Its runs are taken over (same run id) within one lease period, every account is synced again,
 * and the sync-run table shows no account with two runs at once. About 60–90 s on a quiet machine (three poller
 * processes boot).
 */
describe('poller replicas: SIGKILL one of three mid-run', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let sandbox: RunningSandbox;
  const replicas = new Map<string, ChildProcess>();

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('failover'));
    sandbox = await startSandbox({ port: 0 });
  });

  afterAll(async () => {
    await Promise.all([...replicas.values()].map((child) => stop(child, 'SIGKILL')));
    await sandbox?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('hands the killed replica\'s runs to the others within one lease period; no account ever has two runs at once', async () => {
    const accounts: string[] = [];
    for (let k = 0; k < TENANTS; k++) accounts.push(await connectAccount(dataSource, sandbox.createTenant({ seed: 160 + k, users: 2000, rate_limit_profile: 'off' })));
    const env = pollerEnv(database.url, sandbox.url, {
      OUTBOX_RELAY_ENABLED: 'false',
      SYNC_GRAPH: 'false',
      SYNC_PER_PAGE: '100',
      SYNC_MAX_CONCURRENT_RUNS: '2',
      SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
      // a 60 s interval compressed to 10 s, so every account is due again soon after its first run
      POLL_INTERVAL_SECONDS: '60',
      TIME_SCALE: '6',
      SYNC_SCHEDULER_TICK_MS: '250',
      LOG_LEVEL: 'warn',
    });
    for (const name of ['replica-1', 'replica-2', 'replica-3']) replicas.set(name, spawnReplica(name, env));

    const runsOf = (): Promise<RunRow[]> =>
      dataSource.query<RunRow[]>(`SELECT id, account_id, status, lease_owner, lease_expires_at, started_at, finished_at FROM sync_runs ORDER BY account_id, started_at`);
    // wait until replica-1 is in the middle of at least one run while the others run too
    const victimRuns = await waitFor('replica-1 running a sync', async () => {
      const running = (await runsOf()).filter((r) => r.status === 'running' && r.lease_owner === 'replica-1');
      return running.length > 0 && running;
    }, 180_000);
    await stop(replicas.get('replica-1')!, 'SIGKILL');
    replicas.delete('replica-1');
    const killedAt = Date.now();
    // the leases the dead replica left behind, as the table holds them (renewed by its last commit before the kill)
    const afterKill = await runsOf();
    const leftLeases = victimRuns.map((v) => afterKill.find((r) => r.id === v.id)!).filter((r) => r.lease_owner === 'replica-1');
    const lapsesAt = Math.max(killedAt, ...leftLeases.map((r) => r.lease_expires_at?.getTime() ?? killedAt));
    expect(lapsesAt - killedAt).toBeLessThanOrEqual(LEASE_SECONDS * 1000);

    // every run it held is taken over by another replica (same run id) at the latest one lease period after the lease
    // lapsed (the period is headroom for load). Often sooner: the dead replica's session released the account's advisory
    // lock, and a running run whose lock is free has lost its owner, so a replica may take it over before the lease ends
    const takenOver = await waitFor('the killed replica\'s runs to be taken over', async () => {
      const rows = await runsOf();
      const mine = victimRuns.map((v) => rows.find((r) => r.id === v.id)!);
      return mine.every((r) => r.lease_owner !== 'replica-1') && Date.now();
    }, 120_000);
    expect(takenOver - lapsesAt).toBeLessThanOrEqual(LEASE_SECONDS * 1000);

    // every account completes a run that started after the kill: none starved
    await waitFor('every account synced again after the kill', async () => {
      const rows = await runsOf();
      return accounts.every((a) => rows.some((r) => r.account_id === a && r.status === 'completed' && r.finished_at !== null && r.finished_at.getTime() > killedAt));
    }, 300_000);

    // from the sync-run table: per account, no run started before the previous one finished
    const rows = await runsOf();
    for (const account of accounts) {
      const runs = rows.filter((r) => r.account_id === account);
      for (let i = 1; i < runs.length; i++) {
        const previous = runs[i - 1];
        expect({ account, run: runs[i].id, overlaps: previous.finished_at === null || runs[i].started_at < previous.finished_at }).toEqual({ account, run: runs[i].id, overlaps: false });
      }
    }
  }, 900_000); // three poller processes boot and sync; on a loaded machine that takes minutes (no time is asserted but the takeover's)
});
