import { createHash, randomBytes } from 'node:crypto';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { WorkspaceEntity } from '../entities/workspace.entity';
import { KEYSET_TIME_SQL, KeysetPage, TimeKeyset, toPage } from './account-admin.repository';

const API_KEY_PREFIX = 'kb4_';

/** Channel the api_keys trigger notifies (payload = key hash) when a key is revoked, re-scoped or deleted. */
export const API_KEY_CHANGED_CHANNEL = 'kb4_api_key_changed';
/** Channel where each gateway's listener acknowledges a change it applied (payload = `<backend pid>:<key hash>`). */
export const API_KEY_DROPPED_CHANNEL = 'kb4_api_key_dropped';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** What authentication needs to know of an unrevoked key. */
export interface ActiveApiKey {
  id: string;
  workspaceId: string;
  scopes: string[];
}

export interface IssueApiKeyOptions {
  label?: string;
  /** Omitted: every scope (the column default). */
  scopes?: readonly string[];
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

  /** Oldest first, keyset-paged like the other admin lists. */
  async pageWorkspaces(limit: number, after?: TimeKeyset): Promise<KeysetPage<WorkspaceEntity>> {
    const query = this.workspaces
      .createQueryBuilder('w')
      .addSelect(KEYSET_TIME_SQL('w.created_at'), 'keyset_at')
      .orderBy('w.created_at', 'ASC')
      .addOrderBy('w.id', 'ASC')
      .limit(limit + 1);
    if (after) query.where('(w.created_at, w.id) > (:at::timestamptz, :id::uuid)', { at: after.at, id: after.id });
    return toPage(await query.getRawAndEntities(), limit);
  }

  /** Returns the clear key once; only its hash is stored. `label` as a string is the older call shape. */
  async issueApiKey(workspaceId: string, options: IssueApiKeyOptions | string = {}): Promise<{ apiKey: ApiKeyEntity; key: string }> {
    const { label = '', scopes } = typeof options === 'string' ? { label: options } : options;
    const key = `${API_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const inserted = await this.apiKeys.insert({
      workspaceId,
      label,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, 10),
      revokedAt: null,
      ...(scopes ? { scopes: [...scopes] } : {}),
    });
    const id = (inserted.identifiers[0] as { id: string }).id;
    return { apiKey: await this.apiKeys.findOneByOrFail({ id }), key };
  }

  /** The workspace an unrevoked API key belongs to, or null. */
  async workspaceIdForApiKey(key: string): Promise<string | null> {
    return (await this.activeApiKey(key))?.workspaceId ?? null;
  }

  /** The unrevoked key with this clear value, or null. */
  async activeApiKey(key: string): Promise<ActiveApiKey | null> {
    const found = await this.apiKeys.findOne({
      select: { id: true, workspaceId: true, scopes: true },
      where: { keyHash: hashApiKey(key), revokedAt: IsNull() },
    });
    return found ? { id: found.id, workspaceId: found.workspaceId, scopes: found.scopes } : null;
  }

  /** A workspace's keys (revoked ones too), oldest first. */
  listApiKeys(workspaceId: string): Promise<ApiKeyEntity[]> {
    return this.apiKeys.find({ where: { workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findApiKey(workspaceId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.apiKeys.findOneBy({ id, workspaceId });
  }

  /** Revokes a key of this workspace (a second revoke keeps the first time); null when the workspace has no such key. */
  async revokeApiKey(workspaceId: string, keyId: string): Promise<ApiKeyEntity | null> {
    await this.apiKeys
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('id = :keyId AND workspace_id = :workspaceId AND revoked_at IS NULL', { keyId, workspaceId })
      .execute();
    return this.apiKeys.findOneBy({ id: keyId, workspaceId });
  }

  /** Backend pids of the sessions listening for key changes under this application name (one per gateway replica). */
  async apiKeyListenerPids(applicationName: string): Promise<number[]> {
    const rows = await this.apiKeys.query<Array<{ pid: number }>>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [applicationName],
    );
    return rows.map((row) => Number(row.pid));
  }

  /** Records a use; a row touched within the last minute is left alone, so replicas racing on a busy key write once. */
  async markApiKeyUsed(keyId: string): Promise<void> {
    await this.apiKeys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where(`id = :keyId AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, { keyId })
      .execute();
  }
}
