import type { RosterChange, RosterGroupRef } from '@kb4/mapping';
import type { NewRosterItem } from '@kb4/persistence';
import {
  addMembersIntent,
  archiveUserIntent,
  createUserIntent,
  removeMemberIntent,
  updateUserIntent,
  WriteIntent,
} from '../provisioning/write-intents';

export const ROSTER_PATH = '/unified/user-directory/roster';

function groupView(group: RosterGroupRef): { id: string; name: string } {
  return { id: group.id, name: group.name };
}

/** A planned change as GET /roster-runs/{id}/items and the dry run show it. */
export function changeView(change: RosterChange): Record<string, unknown> {
  const base = { action: change.action, line: change.line, email: change.email };
  switch (change.action) {
    case 'create':
      return { ...base, user_id: null, groups: change.groups.map(groupView) };
    case 'update':
    case 'reactivate':
      return { ...base, user_id: change.target.id, changes: change.changes };
    case 'archive':
      return { ...base, user_id: change.target.id };
    default:
      return { ...base, user_id: change.target.id, group: groupView(change.group) };
  }
}

/** The write a planned change becomes: the same intents (command types, Kafka keys) as the single-user routes. */
export function intentOf(accountId: string, change: RosterChange): WriteIntent {
  switch (change.action) {
    case 'create':
      return createUserIntent(accountId, change.user, ROSTER_PATH, change.groups.length > 0 ? change.groups.map((group) => ({ id: group.id })) : undefined);
    case 'update':
    case 'reactivate':
      return updateUserIntent(accountId, change.target, change.write, ROSTER_PATH);
    case 'archive':
      return archiveUserIntent(accountId, change.target, ROSTER_PATH);
    case 'add_member':
      return addMembersIntent(accountId, change.group, [change.target.id], ROSTER_PATH);
    case 'remove_member':
      return removeMemberIntent(accountId, change.group, change.target.id, ROSTER_PATH);
  }
}

export function rosterItem(accountId: string, itemNo: number, change: RosterChange, batchNo: number | null = null): NewRosterItem {
  return {
    batchNo,
    itemNo,
    action: change.action,
    line: change.line,
    email: change.email,
    userId: change.action === 'create' ? null : change.target.id,
    change: changeView(change),
    intent: intentOf(accountId, change) as unknown as Record<string, unknown>,
  };
}

/**
 * The one operation of a batch of membership items of one group and direction: a single add-members or remove
 * command (one SCIM PATCH of the group) with every user of the batch, in item order, so whoever enqueues the batch
 * builds the same request.
 */
export function batchedMembersIntent(intents: readonly WriteIntent[]): WriteIntent {
  const [first] = intents;
  const batchable = first && (first.kind === 'group.add_members' || first.kind === 'group.remove_member');
  if (!batchable || intents.some((intent) => intent.kind !== first.kind || intent.key !== first.key)) {
    throw new Error('a roster member batch holds membership intents of one group and one direction');
  }
  const payloads = intents.map((intent) => intent.payload as { user_ids?: string[]; user_id?: string });
  const userIds = payloads.flatMap((payload) => payload.user_ids ?? (payload.user_id ? [payload.user_id] : []));
  const payload = first.kind === 'group.add_members' ? { ...first.payload, user_ids: userIds } : { ...first.payload, user_id: userIds[0], user_ids: userIds };
  return { ...first, payload, request: { ...first.request, body: { user_ids: userIds } } };
}

/** The idempotency key of a batch's shared operation. */
export function rosterBatchIdempotencyKey(runId: string, batchNo: number): string {
  return `roster:${runId}:members:${batchNo}`;
}

/** The idempotency key of an item's operation: a resumed executor gets the same operation back, never a second one. */
export function rosterIdempotencyKey(runId: string, itemNo: number): string {
  return `roster:${runId}:${itemNo}`;
}
