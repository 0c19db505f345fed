import { SyncRunClaimer, SyncRunLeaseRepository } from '@kb4/persistence';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase } from './support';

const OPTIONS = { leaseSeconds: 60, busyAccountIds: [] as string[] };

describe('poller: batched run claims (issue 16 point 2/4)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  const claimers: SyncRunClaimer[] = [];
  const lost: Error[] = [];

  const claimer = (name: string): SyncRunClaimer => {
    const made = new SyncRunClaimer(database.url, `kb4-poller-run:${name}`, (error) => lost.push(error));
    claimers.push(made);
    return made;
  };

  /** Advisory account locks Postgres holds for sessions of this application name. */
  const locksOf = async (name: string): Promise<number> => {
    const [{ n }] = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
      [`kb4-poller-run:${name}`],
    );
    return n;
  };

  const accounts: string[] = [];

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('claims'));
    for (let i = 0; i < 6; i++) {
      accounts.push(await connectAccount(dataSource, { region: 'us', reporting_api_key: `claim-${i}-${Date.now()}`, scim_token: `t-${i}`, scim_base_url: 'http://127.0.0.1:9/scim/v2' }));
    }
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM sync_runs`);
  });

  // each test's replicas end with it (and their locks with their sessions)
  afterEach(async () => {
    for (const c of claimers.splice(0)) await c.close();
  });

  it('claims up to N runs in one statement in claim order — manual first, then the most overdue — with their accounts locked', async () => {
    const [a, b, c, d] = accounts;
    await dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger, started_at) VALUES
         ($1, 'queued', 'schedule', now() - interval '5 minutes'),
         ($2, 'queued', 'schedule', now() - interval '20 minutes'),
         ($3, 'queued', 'manual', now()),
         ($4, 'queued', 'schedule', now() - interval '1 minute')`,
      [a, b, c, d],
    );
    const one = claimer('one');
    const runs = await one.claimDue({ ...OPTIONS, owner: 'one', limit: 3 });
    expect(runs.map((r) => r.accountId)).toEqual([c, b, a]);
    expect(runs.every((r) => r.status === 'running' && r.leaseOwner === 'one')).toBe(true);
    // exactly the claimed accounts are locked: none for candidates beyond the limit
    expect(await locksOf('one')).toBe(3);
    const [{ status }] = await dataSource.query<Array<{ status: string }>>(`SELECT status FROM sync_runs WHERE account_id = $1`, [d]);
    expect(status).toBe('queued');

    await one.release(b);
    expect(await locksOf('one')).toBe(2);
  });

  it('passes over an account another replica holds, and two replicas claiming at once never claim one run twice', async () => {
    await dataSource.query(`INSERT INTO sync_runs (account_id, status, trigger) SELECT unnest($1::uuid[]), 'queued', 'schedule'`, [accounts]);
    // another replica's session holds the first account (its run, say, still resumable on its side)
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext($1))`, [`kb4-sync-account:${accounts[0]}`]);
      const [two, three] = [claimer('two'), claimer('three')];
      const [x, y] = await Promise.all([two.claimDue({ ...OPTIONS, owner: 'two', limit: 4 }), three.claimDue({ ...OPTIONS, owner: 'three', limit: 4 })]);
      const claimed = [...x, ...y].map((r) => r.accountId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).not.toContain(accounts[0]);
      expect(claimed.sort()).toEqual(accounts.slice(1).sort());
      expect((await locksOf('two')) + (await locksOf('three'))).toBe(5);
    } finally {
      await other.end();
    }
  });

  it('leaves out accounts the claiming process already runs (its session lock is re-entrant), and claims expired leases only for rescue', async () => {
    const [a, b] = accounts;
    await dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger, lease_owner, lease_expires_at) VALUES
         ($1, 'running', 'schedule', 'dead-replica', now() - interval '1 second'),
         ($2, 'running', 'schedule', 'live-replica', now() + interval '1 minute')`,
      [a, b],
    );
    const four = claimer('four');
    expect(await four.claimExpired({ ...OPTIONS, owner: 'four', limit: 5, busyAccountIds: [a] })).toEqual([]);
    const rescued = await four.claimExpired({ ...OPTIONS, owner: 'four', limit: 5 });
    expect(rescued.map((r) => [r.accountId, r.leaseOwner])).toEqual([[a, 'four']]);
  });

  it("renews a live replica's leases that run short (its runs may wait long for pace or a slot), passing over a row a commit holds", async () => {
    const [a, b, c] = accounts;
    await dataSource.query(
      `INSERT INTO sync_runs (account_id, status, trigger, lease_owner, lease_expires_at) VALUES
         ($1, 'running', 'schedule', 'me', now() + interval '2 seconds'),
         ($2, 'running', 'schedule', 'me', now() + interval '2 seconds'),
         ($3, 'running', 'schedule', 'someone-else', now() + interval '2 seconds')`,
      [a, b, c],
    );
    const ids = (await dataSource.query<Array<{ id: string }>>(`SELECT id FROM sync_runs ORDER BY account_id = $1 DESC, account_id = $2 DESC`, [a, b])).map((r) => r.id);
    const committing = dataSource.createQueryRunner();
    await committing.connect();
    await committing.startTransaction();
    try {
      // b's run is committing a page (its own transaction renews it)
      await committing.query(`SELECT 1 FROM sync_runs WHERE id = $1 FOR UPDATE`, [ids[1]]);
      await new SyncRunLeaseRepository().renew(dataSource.manager, ids, 'me', 60);
    } finally {
      await committing.rollbackTransaction();
      await committing.release();
    }
    const left = await dataSource.query<Array<{ account_id: string; seconds: number }>>(
      `SELECT account_id, extract(epoch FROM lease_expires_at - now())::float8 AS seconds FROM sync_runs`,
    );
    const seconds = (account: string): number => left.find((r) => r.account_id === account)!.seconds;
    expect(seconds(a)).toBeGreaterThan(30);
    expect(seconds(b)).toBeLessThan(3);
    expect(seconds(c)).toBeLessThan(3);
  });

  it('tells its owner when the lock session is lost (every lock went with it), and claims again on a new one', async () => {
    await dataSource.query(`INSERT INTO sync_runs (account_id, status, trigger) VALUES ($1, 'queued', 'schedule')`, [accounts[5]]);
    const five = claimer('five');
    expect(await five.claimDue({ ...OPTIONS, owner: 'five', limit: 1 })).toHaveLength(1);
    lost.length = 0;
    await dataSource.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kb4-poller-run:five'`);
    for (let i = 0; i < 100 && lost.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lost).toHaveLength(1);
    expect(await locksOf('five')).toBe(0);
    await dataSource.query(`INSERT INTO sync_runs (account_id, status, trigger) VALUES ($1, 'queued', 'schedule')`, [accounts[4]]);
    expect((await five.claimDue({ ...OPTIONS, owner: 'five', limit: 1, busyAccountIds: [accounts[5]] })).map((r) => r.accountId)).toEqual([accounts[4]]);
  });
});
