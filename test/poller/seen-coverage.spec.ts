import { SnapshotRepository, SyncQueueRepository } from '@kb4/persistence';
import { createLogger } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { SeenCoverage } from '../../apps/poller/src/sync/deletion/seen-coverage';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase } from './support';

/**
 * SeenCoverage against Postgres: what the run's seen pages (sync_run_pages) and the mirror hold decides whether the
 * finalize sweep may skip its full query. It may only say "nothing unseen" when that is true; any doubt is a "no".
 */
describe('poller: a walk learns batch by batch whether it saw every mirror row', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('coverage'));
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A fresh account with these users (and enrollments) in its mirror, and a run to record seen pages for. */
  async function mirrorOf(users: number[], enrollments: number[] = []): Promise<{ accountId: string; runId: string }> {
    const accountId = await connectAccount(dataSource, { region: 'us', reporting_api_key: 'k', scim_token: 't', scim_base_url: 'http://127.0.0.1:9' });
    for (const id of users) {
      await dataSource.query(`INSERT INTO directory_users (account_id, remote_id, status, record, content_hash) VALUES ($1, $2, 'active', '{}', 'h')`, [accountId, id]);
    }
    for (const id of enrollments) {
      await dataSource.query(`INSERT INTO directory_enrollments (account_id, remote_id, record, content_hash) VALUES ($1, $2, '{}', 'h')`, [accountId, id]);
    }
    // a row created through SCIM and not matched yet has no remote id: never "unseen"
    await dataSource.query(`INSERT INTO directory_users (account_id, scim_id, status, record, content_hash) VALUES ($1, 'scim-1', 'active', '{}', 'h')`, [accountId]);
    const { run } = await new SyncQueueRepository(dataSource).queueManualSync(accountId);
    return { accountId, runId: run.id };
  }

  /** Records `batches` (each a list of pages, each page its ids) as seen, committing batch after batch as a walk does. */
  async function walk(accountId: string, runId: string, phase: 'users' | 'enrollments', batches: number[][][], coverage?: SeenCoverage): Promise<SeenCoverage> {
    const seen = coverage ?? new SeenCoverage(new SnapshotRepository(dataSource), accountId, runId, createLogger('test', 'silent'));
    seen.begin(phase);
    let page = 1;
    for (const batch of batches) {
      const pages: number[] = [];
      for (const ids of batch) {
        await dataSource.query(
          `INSERT INTO sync_run_pages (run_id, phase, page, remote_ids) VALUES ($1, $2, $3, $4::bigint[])
           ON CONFLICT (run_id, phase, page) DO UPDATE SET remote_ids = EXCLUDED.remote_ids`,
          [runId, phase, page, ids.map(String)],
        );
        pages.push(page++);
      }
      seen.committed(phase, pages);
    }
    return seen;
  }

  it.each([
    { case: 'every row seen, in ascending batches', mirror: [1, 2, 3, 4, 5, 6, 7], batches: [[[1, 2], [3]], [[4, 5, 6, 7]]], nothingUnseen: true },
    { case: 'a row between two batches missing', mirror: [1, 2, 3, 4, 5], batches: [[[1, 2]], [[4, 5]]], nothingUnseen: false },
    { case: 'a row inside a batch missing', mirror: [1, 2, 3, 4, 5], batches: [[[1], [2, 4]], [[5]]], nothingUnseen: false },
    { case: 'a row above the last listed id', mirror: [1, 2, 3, 9], batches: [[[1, 2]], [[3]]], nothingUnseen: false },
    { case: 'a row below the first listed id', mirror: [1, 5, 6], batches: [[[5]], [[6]]], nothingUnseen: false },
    // seen after all, but in a batch after its range was checked: the sweep's full query decides
    { case: 'ids out of order across batches', mirror: [1, 2, 3, 4], batches: [[[1, 4]], [[2, 3]]], nothingUnseen: false },
    { case: 'an empty mirror and an empty list', mirror: [], batches: [], nothingUnseen: true },
    { case: 'ids the mirror lacks (skipped records) and an empty page', mirror: [2, 4], batches: [[[1, 2]], [[]], [[3, 4]]], nothingUnseen: true },
  ])('users: $case', async ({ mirror, batches, nothingUnseen }) => {
    const { accountId, runId } = await mirrorOf(mirror);
    const coverage = await walk(accountId, runId, 'users', batches);
    expect(await coverage.nothingUnseen('users')).toBe(nothingUnseen);
  });

  it('enrollments are checked against their own table', async () => {
    const { accountId, runId } = await mirrorOf([1, 2], [10, 11, 12]);
    expect(await (await walk(accountId, runId, 'enrollments', [[[10, 11, 12]]])).nothingUnseen('enrollments')).toBe(true);
    const other = await mirrorOf([1, 2], [10, 11, 12]);
    expect(await (await walk(other.accountId, other.runId, 'enrollments', [[[10, 12]]])).nothingUnseen('enrollments')).toBe(false);
  });

  it('knows nothing of a walk that resumed past its first page, or of a list it did not walk', async () => {
    const { accountId, runId } = await mirrorOf([1, 2]);
    const coverage = await walk(accountId, runId, 'users', [[[1, 2]]]);
    coverage.forget('users');
    expect(await coverage.nothingUnseen('users')).toBe(false);
    expect(await coverage.nothingUnseen('enrollments')).toBe(false);
  });

  it('a walk started over is judged by its last pass only', async () => {
    const { accountId, runId } = await mirrorOf([1, 2, 3]);
    const coverage = await walk(accountId, runId, 'users', [[[1]], [[3]]]);
    await walk(accountId, runId, 'users', [[[1, 2]], [[3]]], coverage);
    expect(await coverage.nothingUnseen('users')).toBe(true);
  });
});
