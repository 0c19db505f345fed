import { DataSource, EntityManager, Repository } from 'typeorm';
import { CredentialCipher, KnowBe4Credentials } from '../credentials/credential-cipher';
import { IntegratedAccountEntity, KnowBe4AccountRegion } from '../entities/integrated-account.entity';

export interface ConnectAccountInput {
  workspaceId: string;
  label: string;
  region: KnowBe4AccountRegion;
  credentials: KnowBe4Credentials;
  scimBaseUrl?: string | null;
  pollIntervalSeconds?: number | null;
}

export class IntegratedAccountRepository {
  private readonly accounts: Repository<IntegratedAccountEntity>;

  constructor(
    dataSource: DataSource,
    private readonly cipher: CredentialCipher,
  ) {
    this.accounts = dataSource.getRepository(IntegratedAccountEntity);
  }

  connect(input: ConnectAccountInput): Promise<IntegratedAccountEntity> {
    const { ciphertext, keyId } = this.cipher.encrypt(input.credentials);
    return this.accounts.save(
      this.accounts.create({
        workspaceId: input.workspaceId,
        label: input.label,
        region: input.region,
        scimBaseUrl: input.scimBaseUrl ?? null,
        pollIntervalSeconds: input.pollIntervalSeconds ?? null,
        credentialsCiphertext: ciphertext,
        credentialsKeyId: keyId,
        status: 'active',
      }),
    );
  }

  /** Scoped to the workspace: another workspace's account is simply not found. */
  findInWorkspace(workspaceId: string, id: string): Promise<IntegratedAccountEntity | null> {
    return this.accounts.findOneBy({ workspaceId, id });
  }

  listInWorkspace(workspaceId: string): Promise<IntegratedAccountEntity[]> {
    return this.accounts.find({ where: { workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  listActive(): Promise<IntegratedAccountEntity[]> {
    return this.accounts.find({ where: { status: 'active' }, order: { createdAt: 'ASC' } });
  }

  findById(id: string): Promise<IntegratedAccountEntity | null> {
    return this.accounts.findOneBy({ id });
  }

  /** Stamps the account's last complete sync (in the transaction that completes the run). */
  /** A complete run: when it ended, and whether it read the lists that have cadences of their own. */
  async markSyncCompleted(manager: EntityManager, accountId: string, read: { enrollments?: boolean; account?: boolean } = {}): Promise<void> {
    await manager.query(
      `UPDATE integrated_accounts SET last_sync_completed_at = now(),
              enrollments_read_at = CASE WHEN $2 THEN now() ELSE enrollments_read_at END,
              account_read_at = CASE WHEN $3 THEN now() ELSE account_read_at END
        WHERE id = $1`,
      [accountId, read.enrollments === true, read.account === true],
    );
  }

  /**
   * KnowBe4 answered 401 to the credentials a run read (`credentialsCiphertext`): the account becomes `auth_failed`,
   * so no run is queued for it until the gateway re-verifies or replaces its credentials. True when this call
   * marked it; false when it was not active any more or its credentials were replaced since the run read them.
   */
  async markCredentialsRejected(manager: EntityManager, accountId: string, credentialsCiphertext: string): Promise<boolean> {
    const [rows] = await manager.query<[unknown[], number]>(
      `UPDATE integrated_accounts SET status = 'auth_failed', updated_at = now()
        WHERE id = $1 AND status = 'active' AND credentials_ciphertext = $2 RETURNING id`,
      [accountId, credentialsCiphertext],
    );
    return rows.length > 0;
  }

  credentialsOf(account: IntegratedAccountEntity): KnowBe4Credentials {
    return this.cipher.decrypt(account.credentialsCiphertext);
  }
}
