import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { TOPICS } from '@kb4/contracts';
import { DataSource } from 'typeorm';
import { startSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { collectEvents, connectAccount, pollerDatabase, pollerEnv, runStatuses, startPollerInProcess, waitFor, waitForRun } from './support';
import { nodeArgsForTypeScript } from '../support/precompile';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;
const root = resolve(__dirname, '../..');
// What the behaviour needs is pages and outbox batches, not users: 20 pages of 250 give a kill half-way with pages
// still to go, and 5,000+ events in 200-event batches a relay killed mid-publish. The acceptance size (20,000)
// runs with POLLER_KILL_TEST_USERS=20000; its reference run alone took > 85 s under load 17.
const USERS = Number(process.env.POLLER_KILL_TEST_USERS ?? 5_000);
const PER_PAGE = 250;
// every wait lasts as long as it needs: jest's timeout for the whole test is the only limit
const NO_LIMIT = Number.POSITIVE_INFINITY;
/** What the test waits for now: said when it fails, since a hung wait ends in jest's timeout, not in its own error. */
let waitingFor = '';
const until = <T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> => {
  waitingFor = what;
  return waitFor(what, probe, NO_LIMIT);
};

function spawnPoller(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...nodeArgsForTypeScript(), 'apps/poller/src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill(signal);
  });
}

async function directoryEventIds(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ event_id: string }> = await dataSource.query(`SELECT event_id FROM outbox_events WHERE topic = $1 ORDER BY event_id`, [TOPICS.directoryEvents]);
  return rows.map((row) => row.event_id);
}

describe('poller: SIGKILL mid-run and mid-relay, two replicas', () => {
  let sandbox: Sandbox;
  let tenant: ReturnType<Sandbox['createTenant']>;
  const databases: ThrowawayDatabase[] = [];
  const dataSources: DataSource[] = [];
  const children: ChildProcess[] = [];
  let reference: INestApplicationContext | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 21, users: USERS, region: 'us', rate_limit_profile: 'off' });
  });

  afterAll(async () => {
    if (waitingFor) process.stderr.write(`crash-recovery: last wait was for ${waitingFor}\n`);
    await Promise.all(children.map((child) => kill(child, 'SIGKILL')));
    await reference?.close();
    for (const ds of dataSources) await ds.destroy();
    for (const db of databases) await db.drop();
    await sandbox?.close();
  });

  it('ends with the same set of logical events as an uninterrupted run, and one poller per account at a time', async () => {
    // the uninterrupted reference run (no relay) in its own database
    const a = await pollerDatabase('ref');
    databases.push(a.database);
    dataSources.push(a.dataSource);
    const accountId = await connectAccount(a.dataSource, tenant);
    reference = await startPollerInProcess(pollerEnv(a.database.url, sandbox.url, { OUTBOX_RELAY_ENABLED: 'false', SYNC_ENROLLMENTS: 'false' }));
    const [refRun] = await until('reference run', async () => (await runStatuses(a.dataSource, accountId)).length > 0 && runStatuses(a.dataSource, accountId));
    waitingFor = 'the reference run';
    expect((await waitForRun(a.dataSource, refRun.id, ['completed', 'failed'], NO_LIMIT)).status).toBe('completed');
    await reference.close();
    reference = undefined;
    const expected = await directoryEventIds(a.dataSource);
    expect(expected.length).toBeGreaterThan(USERS);

    // the same account (same id) in a second database, synced by pollers that get killed
    const b = await pollerDatabase('kill');
    databases.push(b.database);
    dataSources.push(b.dataSource);
    const otherId = await connectAccount(b.dataSource, tenant);
    await b.dataSource.query(`UPDATE integrated_accounts SET id = $1 WHERE id = $2`, [accountId, otherId]);
    // event ids include the sync run id (a resumed run keeps it): the killed run is the reference run's twin
    await b.dataSource.query(`INSERT INTO sync_runs (id, account_id, status, trigger) VALUES ($1, $2, 'queued', 'initial')`, [refRun.id, accountId]);
    const consumer = await collectEvents(accountId);
    const env = pollerEnv(b.database.url, sandbox.url, { OUTBOX_BATCH_SIZE: '200', SYNC_PER_PAGE: String(PER_PAGE), SYNC_ENROLLMENTS: 'false', LOG_LEVEL: 'warn' });

    const first = spawnPoller(env);
    children.push(first);
    await until('the first poller to be half-way through the users', async () => {
      const [run] = await runStatuses(b.dataSource, accountId);
      return run?.checkpoint?.phase === 'users' && Number(run.checkpoint.page) >= Math.floor(USERS / PER_PAGE / 2);
    });
    await kill(first, 'SIGKILL');
    const [crashed] = await runStatuses(b.dataSource, accountId);
    expect(crashed.status).toBe('running');
    // walking by cursor (the default): the checkpoint holds where the next page starts
    expect(crashed.checkpoint).toMatchObject({ phase: 'users', pagination: 'cursor', cursor: expect.stringMatching(/.+/) });

    // two replicas start together; exactly one takes the run over (their relays off: the relay is killed mid-publish
    // below, which needs events still waiting once the run is done — a relay keeping pace with the run leaves none)
    const resumeEnv = { ...env, OUTBOX_RELAY_ENABLED: 'false' };
    const second = spawnPoller(resumeEnv);
    const third = spawnPoller(resumeEnv);
    children.push(second, third);
    const owners = new Set<string>();
    let lockHolders = 0;
    const run = await until('the resumed run to complete', async () => {
      const [row] = await b.dataSource.query<Array<{ status: string; lease_owner: string | null }>>(`SELECT status, lease_owner FROM sync_runs WHERE id = $1`, [crashed.id]);
      if (row.status === 'running' && row.lease_owner) {
        owners.add(row.lease_owner);
        const [{ n }] = await b.dataSource.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = hashtext($1)::oid`, [`kb4-sync-account:${accountId}`]);
        lockHolders = Math.max(lockHolders, n);
      }
      return row.status === 'completed' && row;
    });
    expect(run.status).toBe('completed');
    const ownersAfterCrash = [...owners].filter((owner) => !owner.includes(String(first.pid)));
    expect(ownersAfterCrash.length).toBeLessThanOrEqual(1);
    expect(lockHolders).toBeLessThanOrEqual(1);

    // kill the relay while it is publishing
    const outbox = async (): Promise<{ published: number; pending: number }> =>
      (await b.dataSource.query(`SELECT count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published, count(*) FILTER (WHERE published_at IS NULL)::int AS pending FROM outbox_events`))[0];
    const before = await outbox();
    expect(before.pending).toBeGreaterThan(0);
    const relay = spawnPoller(env);
    children.push(relay);
    await until('relaying to be under way', async () => {
      const { published, pending } = await outbox();
      return published > before.published && pending > 0;
    });
    await Promise.all([kill(relay, 'SIGKILL'), kill(second, 'SIGKILL'), kill(third, 'SIGKILL')]);
    const fourth = spawnPoller(env);
    children.push(fourth);
    await until('the outbox to drain', async () => {
      const [{ pending }] = await b.dataSource.query(`SELECT count(*)::int AS pending FROM outbox_events WHERE published_at IS NULL`);
      return pending === 0;
    });

    expect(await directoryEventIds(b.dataSource)).toEqual(expected);
    await until('every event id on Kafka', async () => new Set(consumer.events.map((e) => e.event.id)).size >= expected.length);
    const received = new Set(consumer.events.filter((e) => e.event.type.startsWith('knowbe4.') && !e.event.type.startsWith('knowbe4.sync_run')).map((e) => e.event.id));
    await consumer.stop();
    expect([...received].sort()).toEqual(expected);
    waitingFor = '';
    // 112 s at load 6 with 5,000 users: jest's limit keeps a margin for a machine at load 20
  }, 480_000);
});
