import { OperationMirrorRepository } from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
import type { ScimWriteResult } from '../scim/scim-writer';
import { mirrorGroupFromScim, mirrorUserFromScim } from './scim-mirror-records';

export interface MirroredRecord {
  remoteId: string | null;
  /** The unified record as the gateway now serves it (without remote_data). */
  record: Record<string, unknown> | null;
}

/**
 * Writes what KnowBe4 answered to a SCIM write into the mirror inside the outcome's transaction, so a read
 * right after the operation succeeded shows the change (and a new user is addressable by its SCIM id).
 */
export async function refreshMirror(
  manager: EntityManager,
  mirror: OperationMirrorRepository,
  accountId: string,
  result: ScimWriteResult,
  now: Date,
): Promise<MirroredRecord | null> {
  if (result.user?.id) {
    const keys = {
      scimId: result.user.id,
      provisioningGuid: result.user.externalId ?? null,
      emailLower: result.user.userName.toLowerCase(),
    };
    if (result.action === 'user_created') {
      // A user KnowBe4 just created rarely has a mirror row yet: one statement inserts it; else lock and merge.
      const fresh = mirrorUserFromScim(result.user, null, now);
      const inserted = await mirror.insertUserIfUnmatched(manager, accountId, keys, fresh);
      if (inserted) return { remoteId: inserted.remoteId, record: { ...fresh.record, id: inserted.remoteId ?? fresh.scimId } };
    }
    const existing = await mirror.lockUserForRefresh(manager, accountId, keys);
    const write = mirrorUserFromScim(result.user, existing, now);
    const row = await mirror.saveUser(manager, accountId, existing, write);
    return { remoteId: row.remoteId, record: { ...write.record, id: row.remoteId ?? write.scimId } };
  }
  if (result.group?.id) {
    const existing = await mirror.lockGroupForRefresh(manager, accountId, { scimId: result.group.id, name: result.group.displayName });
    const write = mirrorGroupFromScim(result.group, existing, now);
    const row = await mirror.saveGroup(manager, accountId, existing, write);
    return { remoteId: row.remoteId, record: { ...write.record, id: row.remoteId ?? write.scimId } };
  }
  if (result.membership) {
    const { groupId, groupScimId, userIds, userScimIds, member } = result.membership;
    const group = (await mirror.findGroup(accountId, groupId, manager)) ?? (await mirror.findGroup(accountId, groupScimId, manager));
    if (group?.remoteId) {
      for (const [index, userId] of userIds.entries()) {
        const user = (await mirror.findUser(accountId, userId, manager)) ?? (await mirror.findUser(accountId, userScimIds[index], manager));
        // Membership rows join Reporting ids; a user no sync has seen yet gets its row from the next sync.
        if (user?.remoteId) await mirror.setMembership(manager, accountId, group.remoteId, user.remoteId, member);
      }
    }
  }
  return null;
}
