import type { ScimUser } from '@kb4/knowbe4';
import { MirrorUserWrite, OperationMirrorRepository, UserMirrorKeys } from '@kb4/persistence';
import type { EntityManager } from 'typeorm';
import type { ScimWriteResult } from '../scim/scim-writer';
import { mirrorGroupFromScim, mirrorUserFromScim } from './scim-mirror-records';

export interface MirroredRecord {
  remoteId: string | null;
  /** The unified record as the gateway now serves it (without remote_data). */
  record: Record<string, unknown> | null;
  /** The mirror's record before this write (null: there was none); the audit log's `from`. */
  before?: Record<string, unknown> | null;
}

/** How a SCIM user finds its mirror row: SCIM id, else provisioning_guid, else lower-cased email. */
export function userMirrorKeys(user: ScimUser): UserMirrorKeys {
  return { scimId: user.id!, provisioningGuid: user.externalId ?? null, emailLower: user.userName.toLowerCase() };
}

/**
 * The mirror row of a user KnowBe4 has just created, for the case no mirror row matches it yet (the usual one):
 * then it is inserted in the same statement as the outcome (OperationRepository.finishCreatedUser). Null when
 * KnowBe4's answer cannot be mirrored; the ordinary refresh then reports why.
 */
export function freshUserMirror(result: ScimWriteResult, now: Date): { keys: UserMirrorKeys; write: MirrorUserWrite; mirrored: MirroredRecord } | null {
  if (result.action !== 'user_created' || !result.user?.id) return null;
  try {
    const write = mirrorUserFromScim(result.user, null, now, result.joined);
    return { keys: userMirrorKeys(result.user), write, mirrored: { remoteId: null, record: { ...write.record, id: write.scimId } } };
  } catch {
    return null;
  }
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
    const keys = userMirrorKeys(result.user);
    const existing = await mirror.lockUserForRefresh(manager, accountId, keys);
    const write = mirrorUserFromScim(result.user, existing, now, result.joined);
    const row = await mirror.saveUser(manager, accountId, existing, write);
    return { remoteId: row.remoteId, record: { ...write.record, id: row.remoteId ?? write.scimId }, before: existing?.record ?? null };
  }
  if (result.deleted) {
    const { scimId } = result.deleted;
    const row = (result.groupId ? await mirror.findGroup(accountId, result.groupId, manager) : null) ?? (scimId ? await mirror.findGroup(accountId, scimId, manager) : null);
    if (row) await mirror.deleteGroup(manager, accountId, row);
    return { remoteId: row?.remoteId ?? null, record: null, before: row?.record ?? null };
  }
  if (result.group?.id) {
    // a rename: the row the caller addressed, which a sync may have stored without the SCIM id (and by the old name)
    const addressed = result.groupId ? await mirror.findGroup(accountId, result.groupId, manager) : null;
    const existing = addressed ?? (await mirror.lockGroupForRefresh(manager, accountId, { scimId: result.group.id, name: result.group.displayName }));
    const write = mirrorGroupFromScim(result.group, existing, now);
    const row = await mirror.saveGroup(manager, accountId, existing, write);
    return { remoteId: row.remoteId, record: { ...write.record, id: row.remoteId ?? write.scimId }, before: existing?.record ?? null };
  }
  if (result.membership) {
    const { groupId, groupScimId, userIds, userScimIds, member } = result.membership;
    const group = (await mirror.findGroup(accountId, groupId, manager)) ?? (await mirror.findGroup(accountId, groupScimId, manager));
    if (group) {
      const ids = [group.remoteId, group.scimId, groupId].filter((id): id is string => id !== null);
      for (const [index, userId] of userIds.entries()) {
        const user = (await mirror.findUser(accountId, userId, manager)) ?? (await mirror.findUser(accountId, userScimIds[index], manager));
        if (!user) continue;
        await mirror.setUserRecordGroup(manager, user.seq, { id: group.remoteId ?? group.scimId ?? groupId, ids, name: group.name }, member);
        // Membership rows join Reporting ids; a user no sync has seen yet gets its row from the next sync.
        if (user.remoteId && group.remoteId) await mirror.setMembership(manager, accountId, group.remoteId, user.remoteId, member);
      }
    }
  }
  return null;
}
