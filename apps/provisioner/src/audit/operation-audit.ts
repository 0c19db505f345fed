import { deterministicEventId } from '@kb4/contracts';
import { diffRecords, userAuditChanges } from '@kb4/mapping';
import type { AuditDraft, AuditEventType, AuditGroupRef, AuditUserRef } from '@kb4/persistence';
import type { ScimWriteResult } from '../scim/scim-writer';

/** The mirror as one successful SCIM write left it: the record before (null: none) and after. */
export interface MirrorTransition {
  remoteId: string | null;
  before: Record<string, unknown> | null;
  record: Record<string, unknown> | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function userRef(scimId: string | null, transition: MirrorTransition | null): AuditUserRef {
  const record = transition?.record ?? transition?.before ?? {};
  const id = transition?.remoteId ?? scimId ?? text(record.id);
  return {
    id,
    ids: [...new Set([id, scimId, text(record.id)].filter((value): value is string => value !== null))],
    email: text(record.username)?.toLowerCase() ?? null,
    employee_number: text(record.external_id),
  };
}

function groupRef(id: string | null, transition: MirrorTransition | null, name?: string | null): AuditGroupRef {
  const record = transition?.record ?? transition?.before ?? {};
  return { id: transition?.remoteId ?? id ?? text(record.id), name: name ?? text(record.name) };
}

// One id per operation and entry: a redelivered command whose operation already finished appends nothing again.
const draftId = (operationId: string, type: string, index: number): string => deterministicEventId(['audit', operationId, type, String(index)]);

const USER_ACTION_TYPE: Partial<Record<ScimWriteResult['action'], AuditEventType>> = {
  user_created: 'user.created',
  user_adopted: 'user.created',
  user_updated: 'user.updated',
  user_archived: 'user.archived',
};

/**
 * The audit entries of one successful operation, from what its SCIM write changed in the mirror: a user's created /
 * updated (field-level) / archived / reactivated entries, a group's created / updated / deleted, one membership entry
 * per user added or removed. Empty when the write changed nothing audited (a PATCH that set what was already there).
 */
export function operationAuditDrafts(operationId: string, result: ScimWriteResult, transition: MirrorTransition | null): AuditDraft[] {
  const drafts: AuditDraft[] = [];
  const push = (type: AuditEventType, draft: Omit<AuditDraft, 'id' | 'type'>): void => {
    drafts.push({ id: draftId(operationId, type, drafts.length), type, ...draft });
  };
  if (result.user) {
    const resource = { user: userRef(result.user.id ?? null, transition) };
    if (transition?.record) {
      for (const change of userAuditChanges(transition.before, transition.record)) push(change.type, { resource, changes: change.changes });
    } else {
      // the mirror could not be refreshed (the next sync repairs it): the entry says what was done, without from/to
      const type = USER_ACTION_TYPE[result.action];
      if (type) push(type, { resource, changes: [] });
    }
    for (const group of result.joined ?? []) push('group.member_added', { resource: { ...resource, group: { id: group.id, name: group.name } }, changes: [] });
    return drafts;
  }
  if (result.action === 'group_deleted') {
    if (result.deleted?.alreadyAbsent) return drafts;
    push('group.deleted', { resource: { group: groupRef(result.groupId ?? result.deleted?.scimId ?? null, transition) }, changes: [] });
    return drafts;
  }
  if (result.group) {
    const resource = { group: groupRef(result.group.id ?? null, transition, result.group.displayName) };
    if (!transition?.before) {
      push('group.created', { resource, changes: [{ field: 'name', from: null, to: result.group.displayName }] });
    } else if (transition.record) {
      const changes = diffRecords(transition.before, transition.record, { ignore: ['id', 'remote_data', 'updated_at', 'created_at', 'member_count', 'current_risk_score'] });
      if (changes.length > 0) push('group.updated', { resource, changes });
    }
    return drafts;
  }
  if (result.membership) {
    const { groupId, groupScimId, userIds, userScimIds, member } = result.membership;
    const group = { id: groupId, name: null };
    userIds.forEach((userId, index) => {
      const scimId = userScimIds[index] ?? null;
      const user: AuditUserRef = { id: userId, ids: [...new Set([userId, scimId].filter((id): id is string => id !== null))], email: null, employee_number: null };
      push(member ? 'group.member_added' : 'group.member_removed', { resource: { user, group: { ...group, id: group.id ?? groupScimId } }, changes: [] });
    });
  }
  return drafts;
}
