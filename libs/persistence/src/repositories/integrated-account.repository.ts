import { DataSource, Repository } from 'typeorm';
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

  credentialsOf(account: IntegratedAccountEntity): KnowBe4Credentials {
    return this.cipher.decrypt(account.credentialsCiphertext);
  }
}
