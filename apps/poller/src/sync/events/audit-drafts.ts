import { deterministicEventId, DIRECTORY_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { USER_AUDIT_IGNORE, userAuditChanges } from '@kb4/mapping';
import type { AuditChange, AuditDraft, AuditEventType, AuditGroupRef, AuditUserRef, OutboxMessage } from '@kb4/persistence';

/**
 * A directory event as the diff made it, with what the audit log needs beyond the event: for a user or group first
 * listed by KnowBe4 that our own SCIM create had already put in the mirror, the record as that create left it. The
 * event says `created` (consumers first see the Reporting record), the audit log records only what differs from our create.
 */
export interface DirectoryMessage extends OutboxMessage {
  auditBefore?: Record<string, unknown>;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);
const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {});

function userRef(id: string | null, user: Record<string, unknown>): AuditUserRef {
  const ids = [...new Set([id, text(user.id)].filter((value): value is string => value !== null))];
  return { id: id ?? text(user.id), ids, email: text(user.username)?.toLowerCase() ?? null, employee_number: text(user.external_id) };
}

function groupRef(id: string | null, group: Record<string, unknown>): AuditGroupRef {
  return { id: id ?? text(group.id), name: text(group.name) };
}

function eventChanges(data: Record<string, unknown>, ignore: ReadonlySet<string>): AuditChange[] {
  const changes = Array.isArray(data.changes) ? (data.changes as Array<Record<string, unknown>>) : [];
  return changes
    .filter((change) => typeof change.field === 'string' && !ignore.has(change.field))
    .map((change) => ({ field: change.field as string, from: change.from ?? null, to: change.to ?? null }));
}

const USER_IGNORE = new Set(USER_AUDIT_IGNORE);
// a group's member count and risk move with its members and KnowBe4's scoring, not with an edit of the group
const GROUP_IGNORE = new Set(['member_count', 'current_risk_score', 'created_at', 'updated_at', 'remote_data']);

/**
 * The audit entries of the directory events one sync commit enqueues (what the poller saw change in KnowBe4): users
 * created / updated / archived / reactivated / deleted, groups created / updated / deleted, memberships. Risk and
 * training events are not audited. Each entry's id derives from its event's, so a re-run commit appends nothing twice.
 */
export function auditDraftsOf(messages: readonly DirectoryMessage[]): AuditDraft[] {
  const drafts: AuditDraft[] = [];
  for (const message of messages) {
    if (message.topic !== TOPICS.directoryEvents) continue;
    const { event } = message;
    const data = record(event.data);
    const remoteId = text(data.remote_id);
    const add = (type: AuditEventType, resource: AuditDraft['resource'], changes: AuditChange[], index = 0): void => {
      drafts.push({ id: deterministicEventId(['audit', event.id, type, String(index)]), type, resource, changes });
    };
    switch (event.type) {
      case DIRECTORY_EVENT_TYPES.userCreated: {
        const user = record(data.user);
        const changes = userAuditChanges(message.auditBefore ?? null, user);
        changes.forEach((change, index) => add(change.type, { user: userRef(remoteId, user) }, change.changes, index));
        break;
      }
      case DIRECTORY_EVENT_TYPES.userUpdated: {
        const changes = eventChanges(data, USER_IGNORE);
        if (changes.length > 0) add('user.updated', { user: userRef(remoteId, record(data.user)) }, changes);
        break;
      }
      case DIRECTORY_EVENT_TYPES.userArchived:
        add('user.archived', { user: userRef(remoteId, record(data.user)) }, eventChanges(data, new Set()));
        break;
      case DIRECTORY_EVENT_TYPES.userReactivated:
        add('user.reactivated', { user: userRef(remoteId, record(data.user)) }, eventChanges(data, new Set()));
        break;
      case DIRECTORY_EVENT_TYPES.userDeleted:
        add('user.deleted', { user: userRef(remoteId, record(data.user)) }, []);
        break;
      case DIRECTORY_EVENT_TYPES.groupCreated: {
        const group = record(data.group);
        const before = message.auditBefore;
        if (!before) add('group.created', { group: groupRef(remoteId, group) }, [{ field: 'name', from: null, to: group.name ?? null }]);
        else if (before.name !== group.name) add('group.updated', { group: groupRef(remoteId, group) }, [{ field: 'name', from: before.name ?? null, to: group.name ?? null }]);
        break;
      }
      case DIRECTORY_EVENT_TYPES.groupUpdated: {
        const changes = eventChanges(data, GROUP_IGNORE);
        if (changes.length > 0) add('group.updated', { group: groupRef(remoteId, record(data.group)) }, changes);
        break;
      }
      case DIRECTORY_EVENT_TYPES.groupDeleted:
        add('group.deleted', { group: groupRef(remoteId, record(data.group)) }, []);
        break;
      case DIRECTORY_EVENT_TYPES.groupMemberAdded:
      case DIRECTORY_EVENT_TYPES.groupMemberRemoved: {
        const type = event.type === DIRECTORY_EVENT_TYPES.groupMemberAdded ? 'group.member_added' : 'group.member_removed';
        add(type, { user: userRef(text(data.user_id), record(data.user)), group: groupRef(text(data.group_id), record(data.group)) }, []);
        break;
      }
      default:
        break;
    }
  }
  return drafts;
}
