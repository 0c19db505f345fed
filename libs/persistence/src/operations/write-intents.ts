import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, type CommandType, groupCommandKey, type StoredCommand } from '@kb4/contracts';
import type { OperationRepository, RecordedOperation } from '../repositories/operation.repository';
import { commandMessage } from './operation-republish';

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

/** Who and what an intent is recorded for: the caller's idempotency key and request hash, and who asked. */
export interface IntentRecording {
  workspaceId: string;
  accountId: string;
  idempotencyKey: string | null;
  /** Same key + same hash is a replay; the caller hashes the request as it was received (null: no key, never compared). */
  requestHash: string | null;
  actor: Record<string, unknown> | null;
}

/**
 * An intent becomes a queued operation with its command (first attempt) in the outbox, in one statement; an
 * idempotency key already used returns that earlier operation (`replayed`). The gateway's routes, the roster
 * executor and anyone else accepting a write go through here.
 */
export function recordWriteIntent(operations: OperationRepository, intent: WriteIntent, recording: IntentRecording): Promise<RecordedOperation> {
  const stored = storedRequestOf(intent);
  return operations.recordWithCommand(
    {
      id: randomUUID(),
      workspaceId: recording.workspaceId,
      accountId: recording.accountId,
      kind: intent.kind,
      targetKey: intent.key,
      request: stored,
      idempotencyKey: recording.idempotencyKey,
      requestHash: recording.requestHash,
      actor: recording.actor,
    },
    (created) => commandMessage(created, stored.command, 1),
  );
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
