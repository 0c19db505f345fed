import { DataSource, Repository } from 'typeorm';
import { SyncRunEntity } from '../entities/operations.entities';
import { KEYSET_TIME_SQL, KeysetPage, TimeKeyset, toPage } from './account-admin.repository';

const UNIQUE_VIOLATION = '23505';

/** The API's side of sync runs: queueing a manual run for the poller and the paged run history of an account. */
export class SyncQueueRepository {
  private readonly runs: Repository<SyncRunEntity>;

  constructor(dataSource: DataSource) {
    this.runs = dataSource.getRepository(SyncRunEntity);
  }

  /** Queues a manual run; an account has at most one active run (partial unique index), which is returned instead. */
  async queueManualSync(accountId: string): Promise<{ run: SyncRunEntity; created: boolean }> {
    try {
      const { id } = await this.runs.save(this.runs.create({ accountId, status: 'queued', trigger: 'manual' }));
      // re-read: started_at and counts are database defaults that save() does not return
      return { run: await this.runs.findOneByOrFail({ id }), created: true };
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      const active = await this.runs.findOne({
        where: [
          { accountId, status: 'queued' },
          { accountId, status: 'running' },
          { accountId, status: 'waiting_for_budget' },
        ],
        order: { startedAt: 'DESC' },
      });
      if (!active) return this.queueManualSync(accountId); // it finished in between
      return { run: active, created: false };
    }
  }

  /** Runs of an account, newest first, `limit` at a time after `after`. */
  async pageRunsOf(accountId: string, limit: number, after?: TimeKeyset): Promise<KeysetPage<SyncRunEntity>> {
    const query = this.runs
      .createQueryBuilder('r')
      .addSelect(KEYSET_TIME_SQL('r.started_at'), 'keyset_at')
      .where('r.account_id = :accountId', { accountId })
      .orderBy('r.started_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1);
    if (after) query.andWhere('(r.started_at, r.id) < (:at::timestamptz, :id::uuid)', { at: after.at, id: after.id });
    return toPage(await query.getRawAndEntities(), limit);
  }
}
