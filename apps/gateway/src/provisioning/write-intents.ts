import {
  COMMAND_TYPES,
  groupCommandKey,
  userCommandKey,
  type UnifiedUserWrite,
} from '@kb4/contracts';
import { canonicalJson, primaryEmailOf } from '@kb4/mapping';
import type { GroupTarget, WriteIntent } from '@kb4/persistence';
import { createHash } from 'node:crypto';

export { addMembersIntent, createGroupIntent, removeMemberIntent, storedRequestOf } from '@kb4/persistence';
export type { GroupTarget, StoredRequest, WriteIntent } from '@kb4/persistence';

/** Same key + same hash is a replay; same key + another hash is a different request (422). */
export function requestHashOf(accountId: string, intent: WriteIntent): string {
  return createHash('sha256')
    .update(canonicalJson({ account: accountId, method: intent.request.method, path: intent.request.path, body: intent.request.body ?? null }))
    .digest('hex');
}

/**
 * A user create, with the groups it joins in the same command. Keyed by the user like every write of that user: the
 * memberships belong to the user being created (they cannot race its later updates); a concurrent write of one of the
 * groups is on that group's key, and a group deleted meanwhile fails its membership, reported by the operation.
 */
export function createUserIntent(accountId: string, user: UnifiedUserWrite, path: string, groups?: Array<{ id: string }>): WriteIntent {
  const userName = (primaryEmailOf(user) ?? '').toLowerCase();
  return {
    kind: 'user.create',
    commandType: COMMAND_TYPES.createUser,
    key: userCommandKey(accountId, userName),
    payload: { user_name: userName, user: { ...user, username: user.username ?? primaryEmailOf(user) }, ...(groups ? { groups } : {}) },
    request: { method: 'POST', path, body: groups ? { ...user, groups } : user },
  };
}

export function updateUserIntent(
  accountId: string,
  target: { id: string; userName: string; scimId: string | null },
  changes: UnifiedUserWrite,
  path: string,
): WriteIntent {
  return {
    kind: 'user.update',
    commandType: COMMAND_TYPES.updateUser,
    key: userCommandKey(accountId, target.userName),
    payload: { user_name: target.userName, user_id: target.id, scim_id: target.scimId, changes },
    request: { method: 'PATCH', path, body: changes },
  };
}

export function archiveUserIntent(accountId: string, target: { id: string; userName: string; scimId: string | null }, path: string): WriteIntent {
  return {
    kind: 'user.archive',
    commandType: COMMAND_TYPES.archiveUser,
    key: userCommandKey(accountId, target.userName),
    payload: { user_name: target.userName, user_id: target.id, scim_id: target.scimId },
    request: { method: 'DELETE', path, body: null },
  };
}

/** A group rename, keyed like the group's member writes so one group's writes apply in order. */
export function updateGroupIntent(accountId: string, group: GroupTarget, name: string, body: unknown, path: string): WriteIntent {
  return {
    kind: 'group.update',
    commandType: COMMAND_TYPES.updateGroup,
    key: groupCommandKey(accountId, group.keyId),
    payload: { group_id: group.id, scim_id: group.scimId, name },
    request: { method: 'PATCH', path, body },
  };
}

export function deleteGroupIntent(accountId: string, group: GroupTarget, path: string): WriteIntent {
  return {
    kind: 'group.delete',
    commandType: COMMAND_TYPES.deleteGroup,
    key: groupCommandKey(accountId, group.keyId),
    payload: { group_id: group.id, scim_id: group.scimId },
    request: { method: 'DELETE', path, body: null },
  };
}

// one builder for the first publication and every re-publication (the reconciler's, the CLI's)
export { commandMessage } from '@kb4/persistence';
