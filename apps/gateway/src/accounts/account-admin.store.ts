import { Inject, Injectable } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { CredentialCipher, IntegratedAccountEntity, KnowBe4Credentials, SyncRunEntity } from '@kb4/persistence';

export interface AccountChanges {
  label?: string;
  status?: 'active' | 'paused';
  pollIntervalSeconds?: number | null;
  credentials?: KnowBe4Credentials;
  scimBaseUrl?: string | null;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Account writes the shared IntegratedAccountRepository does not offer (update, delete) and the manual sync
 * queue. Every method takes the workspace id: a row of another workspace is never touched.
 */
@Injectable()
export class AccountAdminStore {
  private readonly accounts: Repository<IntegratedAccountEntity>;
  private readonly runs: Repository<SyncRunEntity>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CredentialCipher) private readonly cipher: CredentialCipher,
  ) {
    this.accounts = dataSource.getRepository(IntegratedAccountEntity);
    this.runs = dataSource.getRepository(SyncRunEntity);
  }

  async updateInWorkspace(workspaceId: string, id: string, changes: AccountChanges): Promise<IntegratedAccountEntity | null> {
    const patch: Partial<IntegratedAccountEntity> = {};
    if (changes.label !== undefined) patch.label = changes.label;
    if (changes.status !== undefined) patch.status = changes.status;
    if (changes.pollIntervalSeconds !== undefined) patch.pollIntervalSeconds = changes.pollIntervalSeconds;
    if (changes.scimBaseUrl !== undefined) patch.scimBaseUrl = changes.scimBaseUrl;
    if (changes.credentials) {
      const { ciphertext, keyId } = this.cipher.encrypt(changes.credentials);
      patch.credentialsCiphertext = ciphertext;
      patch.credentialsKeyId = keyId;
      // new credentials get a fresh chance after an auth failure
      if (changes.status === undefined) patch.status = 'active';
    }
    if (Object.keys(patch).length > 0) await this.accounts.update({ id, workspaceId }, patch);
    return this.accounts.findOneBy({ id, workspaceId });
  }

  /** Deletes the account and (by cascade) its mirror, runs and operations. */
  async deleteInWorkspace(workspaceId: string, id: string): Promise<boolean> {
    const result = await this.accounts.delete({ id, workspaceId });
    return (result.affected ?? 0) > 0;
  }

  /** Queues a manual run for the poller; an account has at most one active run (partial unique index). */
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

  listSyncRuns(accountId: string, limit: number, before?: Date): Promise<SyncRunEntity[]> {
    const query = this.runs
      .createQueryBuilder('r')
      .where('r.account_id = :accountId', { accountId })
      .orderBy('r.started_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit);
    if (before) query.andWhere('r.started_at < :before', { before });
    return query.getMany();
  }
}
