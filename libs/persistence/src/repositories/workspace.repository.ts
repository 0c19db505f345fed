import { createHash, randomBytes } from 'node:crypto';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { WorkspaceEntity } from '../entities/workspace.entity';

const API_KEY_PREFIX = 'kb4_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class WorkspaceRepository {
  private readonly workspaces: Repository<WorkspaceEntity>;
  private readonly apiKeys: Repository<ApiKeyEntity>;

  constructor(dataSource: DataSource) {
    this.workspaces = dataSource.getRepository(WorkspaceEntity);
    this.apiKeys = dataSource.getRepository(ApiKeyEntity);
  }

  createWorkspace(name: string): Promise<WorkspaceEntity> {
    return this.workspaces.save(this.workspaces.create({ name }));
  }

  findWorkspace(id: string): Promise<WorkspaceEntity | null> {
    return this.workspaces.findOneBy({ id });
  }

  /** Returns the clear key once; only its hash is stored. */
  async issueApiKey(workspaceId: string, label = ''): Promise<{ apiKey: ApiKeyEntity; key: string }> {
    const key = `${API_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const apiKey = await this.apiKeys.save(
      this.apiKeys.create({ workspaceId, label, keyHash: hashApiKey(key), keyPrefix: key.slice(0, 10), revokedAt: null }),
    );
    return { apiKey, key };
  }

  /** The workspace an unrevoked API key belongs to, or null. */
  async workspaceIdForApiKey(key: string): Promise<string | null> {
    const found = await this.apiKeys.findOneBy({ keyHash: hashApiKey(key), revokedAt: IsNull() });
    return found?.workspaceId ?? null;
  }
}
