import { DIRECTORY_EVENT_TYPES, SyncRunCounts } from '@kb4/contracts';
import { NormalizedKnowBe4User, toUnifiedUser, tryNormalizeKnowBe4User } from '@kb4/mapping';
import type { SnapshotUser, SyncedUserWrite } from '@kb4/persistence';
import type { DirectoryMessage } from '../events/audit-drafts';
import { changesJson, directoryEvent, membershipEvent } from '../events/directory-events';
import type { GroupDirectory } from './group-directory';
import { DiffContext, emptyWrite, FetchedRecord, RecordWrite, SkippedRecord } from './record-write';
import { unstorableReason } from './storable';
import { classifyUserChange, membershipDelta } from './user-changes';

const USER_EVENT_COUNT: Record<string, keyof SyncRunCounts> = {
  [DIRECTORY_EVENT_TYPES.userCreated]: 'users_created',
  [DIRECTORY_EVENT_TYPES.userUpdated]: 'users_updated',
  [DIRECTORY_EVENT_TYPES.userArchived]: 'users_archived',
  [DIRECTORY_EVENT_TYPES.userReactivated]: 'users_reactivated',
  [DIRECTORY_EVENT_TYPES.userRiskChanged]: 'users_risk_changed',
};

/**
 * Sorts the changed users of a page: valid ones to diff, and skipped ones (invalid records are dropped from
 * `fetched`, they are not seen; unstorable ones stay seen — never called deleted — but the mirror keeps what it had).
 */
export function screenUsers(
  changedIds: readonly string[],
  fetched: Map<string, FetchedRecord>,
  maxRecordChars: number,
): { valid: Map<string, NormalizedKnowBe4User>; skipped: SkippedRecord[] } {
  const valid = new Map<string, NormalizedKnowBe4User>();
  const skipped: SkippedRecord[] = [];
  for (const id of changedIds) {
    const raw = fetched.get(id)?.raw;
    const result = tryNormalizeKnowBe4User(raw);
    if (!result.ok) {
      skipped.push({ remoteId: id, reason: 'invalid' });
      fetched.delete(id);
      continue;
    }
    const unstorable = unstorableReason(raw, maxRecordChars);
    if (unstorable) skipped.push({ remoteId: id, reason: unstorable });
    else valid.set(id, result.record);
  }
  return { valid, skipped };
}

/** What the mirror knows of a page's valid users. */
export interface UserPageState {
  /** Mirror rows by remote id. */
  existing: ReadonlyMap<string, SnapshotUser>;
  /** Rows created through SCIM that newcomers of this page were matched to (see identity/). */
  provisioned: ReadonlyMap<string, SnapshotUser>;
  /** Group ids of the existing users. */
  oldGroups: ReadonlyMap<string, string[]>;
  groups: GroupDirectory;
  /** Fields whose change alone makes no `user.updated`. */
  userEventIgnore: readonly string[];
}

/** The writes, events and membership changes of a page's valid users against the mirror. */
export function diffUsers(
  valid: ReadonlyMap<string, NormalizedKnowBe4User>,
  fetched: ReadonlyMap<string, FetchedRecord>,
  state: UserPageState,
  diff: DiffContext,
): RecordWrite<SyncedUserWrite>[] {
  const entries: RecordWrite<SyncedUserWrite>[] = [];
  for (const [id, user] of valid) {
    const { raw, hash } = fetched.get(id)!;
    entries.push(diffUser(id, user, raw, hash, state, diff));
  }
  return entries;
}

function diffUser(
  id: string,
  user: NormalizedKnowBe4User,
  raw: Record<string, unknown>,
  hash: string,
  state: UserPageState,
  diff: DiffContext,
): RecordWrite<SyncedUserWrite> {
  const { ctx, now } = diff;
  const { remote_data: _remote, ...record } = toUnifiedUser(raw, { groupsById: state.groups.names as Map<string, string> }) as unknown as Record<string, unknown>;
  const before: SnapshotUser | undefined = state.existing.get(id) ?? state.provisioned.get(id);
  const entry = emptyWrite<SyncedUserWrite>();
  let updatedAt: string | null;
  if (!before || before.remoteId === null) {
    updatedAt = now;
    record.updated_at = now;
    entry.counts.push('users_created');
    if (diff.emit) {
      const created: DirectoryMessage = directoryEvent(ctx, 'user', id, DIRECTORY_EVENT_TYPES.userCreated, [hash], { user: record });
      // our SCIM create put this user in the mirror and the audit log already: only what differs from it is audited
      if (before) created.auditBefore = before.record;
      entry.events.push(created);
    }
  } else {
    const change = classifyUserChange(before.record, record, state.userEventIgnore);
    updatedAt = change.contentChanged ? now : null;
    record.updated_at = updatedAt ?? before.record.updated_at ?? now;
    for (const { type, changes } of change.events) {
      entry.counts.push(USER_EVENT_COUNT[type]);
      entry.events.push(directoryEvent(ctx, 'user', id, type, [before.contentHash, hash], { user: record, changes: changesJson(changes ?? []) }));
    }
  }
  addMembershipChanges(entry, id, user, record, hash, state, diff);
  entry.write = {
    seq: before?.seq ?? null,
    remoteId: id,
    provisioningGuid: user.provisioning_guid,
    emailLower: user.email?.toLowerCase() ?? null,
    employeeNumber: user.employee_number,
    status: record.status as 'active' | 'inactive',
    firstName: user.first_name,
    lastName: user.last_name,
    department: user.department,
    record,
    remoteData: raw,
    contentHash: hash,
    createdAt: before ? before.createdAt.toISOString() : (user.joined_on ?? now),
    updatedAt,
  };
  return entry;
}

/** Groups the user joined or left since the mirror's memberships: pairs to write and `group.member_*` events. */
function addMembershipChanges(
  entry: RecordWrite<SyncedUserWrite>,
  id: string,
  user: NormalizedKnowBe4User,
  record: Record<string, unknown>,
  hash: string,
  state: UserPageState,
  diff: DiffContext,
): void {
  const delta = membershipDelta(state.oldGroups.get(id) ?? [], user.groups.map(String));
  for (const groupId of delta.added) {
    entry.added.push({ groupRemoteId: groupId, userRemoteId: id });
    entry.counts.push('memberships_added');
    if (diff.emit) entry.events.push(membershipEvent(diff.ctx, 'added', groupId, id, hash, state.groups.recordOf(groupId), record));
  }
  for (const groupId of delta.removed) {
    entry.removed.push({ groupRemoteId: groupId, userRemoteId: id });
    entry.counts.push('memberships_removed');
    if (diff.emit) entry.events.push(membershipEvent(diff.ctx, 'removed', groupId, id, hash, state.groups.recordOf(groupId), record));
  }
}
