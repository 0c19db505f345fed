import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '@kb4/platform';
import { IntegratedAccountEntity, IntegratedAccountRepository } from '@kb4/persistence';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEMBERSHIP_TTL_MS = 5_000;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function accountNotFound(): ApiError {
  return new ApiError(404, 'integrated account not found');
}

/**
 * The one place that turns (workspace, account id) into an account: another workspace's account, a deleted
 * one and a malformed id all answer the same 404, so ids of other tenants cannot be probed.
 */
@Injectable()
export class AccountScope {
  // (workspace, account) pairs known to belong together, for the hot read path
  private readonly membership = new Map<string, number>();

  constructor(@Inject(IntegratedAccountRepository) private readonly accounts: IntegratedAccountRepository) {}

  async requireAccount(workspaceId: string, accountId: unknown): Promise<IntegratedAccountEntity> {
    if (!isUuid(accountId)) throw accountNotFound();
    const account = await this.accounts.findInWorkspace(workspaceId, accountId.toLowerCase());
    if (!account) throw accountNotFound();
    this.membership.set(`${workspaceId}:${account.id}`, Date.now() + MEMBERSHIP_TTL_MS);
    return account;
  }

  /** Like requireAccount but may answer from a few seconds' cache; for reads of the mirror only. */
  async assertAccount(workspaceId: string, accountId: unknown): Promise<string> {
    if (!isUuid(accountId)) throw accountNotFound();
    const id = accountId.toLowerCase();
    const until = this.membership.get(`${workspaceId}:${id}`);
    if (until !== undefined && until > Date.now()) return id;
    return (await this.requireAccount(workspaceId, id)).id;
  }

  /** After a delete or status change in this process. */
  forget(accountId: string): void {
    for (const key of this.membership.keys()) if (key.endsWith(`:${accountId}`)) this.membership.delete(key);
  }
}
