import { DataSource, Repository } from 'typeorm';
import { CredentialCipher, KnowBe4Credentials } from '../credentials/credential-cipher';
import { IntegratedAccountEntity } from '../entities/integrated-account.entity';

export interface AccountChanges {
  label?: string;
  status?: 'active' | 'paused';
  pollIntervalSeconds?: number | null;
  credentials?: KnowBe4Credentials;
  scimBaseUrl?: string | null;
}

/** Where a keyset page over a time-ordered table stops: the row's timestamp (microseconds, ISO text) and id. */
export interface TimeKeyset {
  at: string;
  id: string;
}

export interface KeysetPage<T> {
  rows: T[];
  /** Position after the last row when more rows follow; null on the last page. */
  next: TimeKeyset | null;
}

// microsecond precision: a JavaScript Date would round timestamptz and could skip or repeat rows between pages
export const KEYSET_TIME_SQL = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * An integrated account's lifecycle inside its workspace: settings and credential rotation, disconnect, and the
 * workspace's paged account list. Every method takes the workspace id, so another workspace's row is never touched.
 */
export class AccountAdminRepository {
  private readonly accounts: Repository<IntegratedAccountEntity>;

  constructor(
    dataSource: DataSource,
    private readonly cipher: CredentialCipher,
  ) {
    this.accounts = dataSource.getRepository(IntegratedAccountEntity);
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

  /** The workspace's accounts, oldest first, `limit` at a time after `after`. */
  async pageInWorkspace(workspaceId: string, limit: number, after?: TimeKeyset): Promise<KeysetPage<IntegratedAccountEntity>> {
    const query = this.accounts
      .createQueryBuilder('a')
      .addSelect(KEYSET_TIME_SQL('a.created_at'), 'keyset_at')
      .where('a.workspace_id = :workspaceId', { workspaceId })
      .orderBy('a.created_at', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .limit(limit + 1);
    if (after) query.andWhere('(a.created_at, a.id) > (:at::timestamptz, :id::uuid)', { at: after.at, id: after.id });
    return toPage(await query.getRawAndEntities(), limit);
  }
}

/** Cuts a limit+1 read (no joins, so raw row i is entity i) to a page and the position of its last row. */
export function toPage<T extends { id: string }>(read: { entities: T[]; raw: Array<Record<string, unknown>> }, limit: number): KeysetPage<T> {
  if (read.entities.length <= limit) return { rows: read.entities, next: null };
  const rows = read.entities.slice(0, limit);
  return { rows, next: { at: String(read.raw[limit - 1].keyset_at), id: rows[limit - 1].id } };
}
