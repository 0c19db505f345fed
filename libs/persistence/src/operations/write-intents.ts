import { COMMAND_TYPES, type CommandType, groupCommandKey, type StoredCommand } from '@kb4/contracts';

// The write intents the gateway and the automations app both turn into operations (one builder for each command).

/**
 * What the caller asked for, before it becomes an operation: the command type, its Kafka key (one user or
 * group, so its commands apply in order) and the command payload without the operation's own fields.
 */
export interface WriteIntent {
  kind: string;
  commandType: CommandType;
  key: string;
  payload: Record<string, unknown>;
  /** The caller's request as received (stored on the operation, shown by GET /operations/{id}). */
  request: { method: string; path: string; body: unknown };
}

/** A group as a write addresses it: the id the caller used, the id its commands are keyed by, its SCIM id if known. */
export interface GroupTarget {
  id: string;
  keyId: string;
  scimId: string | null;
}

/** Stored in `operations.request`: enough to show the request and to re-publish the command (retry). */
export interface StoredRequest extends Record<string, unknown> {
  method: string;
  path: string;
  body: unknown;
  command: StoredCommand;
}

export function storedRequestOf(intent: WriteIntent): StoredRequest {
  return { ...intent.request, command: { type: intent.commandType, key: intent.key, payload: intent.payload } };
}

export function createGroupIntent(accountId: string, group: { name: string; external_id?: string | null }, path: string): WriteIntent {
  return {
    kind: 'group.create',
    commandType: COMMAND_TYPES.createGroup,
    key: groupCommandKey(accountId, group.name.toLowerCase()),
    payload: { group: { name: group.name, external_id: group.external_id ?? null } },
    request: { method: 'POST', path, body: group },
  };
}

export function addMembersIntent(accountId: string, group: { id: string; keyId: string }, userIds: string[], path: string): WriteIntent {
  return {
    kind: 'group.add_members',
    commandType: COMMAND_TYPES.addGroupMembers,
    key: groupCommandKey(accountId, group.keyId),
    payload: { group_id: group.id, user_ids: userIds },
    request: { method: 'POST', path, body: { user_ids: userIds } },
  };
}

export function removeMemberIntent(accountId: string, group: { id: string; keyId: string }, userId: string, path: string): WriteIntent {
  return {
    kind: 'group.remove_member',
    commandType: COMMAND_TYPES.removeGroupMember,
    key: groupCommandKey(accountId, group.keyId),
    payload: { group_id: group.id, user_id: userId },
    request: { method: 'DELETE', path, body: null },
  };
}
