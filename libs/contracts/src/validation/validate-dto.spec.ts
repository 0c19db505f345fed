import { toUnifiedGroup, toUnifiedUser } from '@kb4/mapping';
import {
  AddGroupMembersCommand,
  ArchiveUserCommand,
  CreateGroupCommand,
  CreateUserCommand,
  RemoveGroupMemberCommand,
  UpdateGroupCommand,
  UpdateUserCommand,
} from '../dto/commands.dto';
import { DeadLetterData } from '../dto/dead-letter.dto';
import { UserUpdatedEventData } from '../dto/directory-events.dto';
import { SyncRunCompletedData, emptySyncRunCounts } from '../dto/sync-runs.dto';
import { buildCloudEvent, integratedAccountSource } from '../cloudevents/envelope';
import { ALL_EVENT_TYPES, COMMAND_TYPES } from '../event-types';
import { EVENT_DATA_CLASSES, validateEventData } from './event-data';
import { DtoValidationError, assertValidDto, validateDto } from './validate-dto';

const base = { operation_id: 'op-1', integrated_account_id: 'acc-1', attempt: 1, requested_at: '2025-01-02T03:04:05.000Z' };
const user = toUnifiedUser({ id: 667542, email: 'Jane.Doe@example.com', employee_number: '00000', status: 'active', groups: [3264] });
const group = toUnifiedGroup({ id: 3264, name: 'Engineering', status: 'active' });
const rosterBase = { integrated_account_id: 'acc-1', roster_run_id: 'rr-1', forced: false, started_at: '2025-01-02T03:00:00.000Z' };
const directoryBase = { integrated_account_id: 'acc-1', sync_run_id: 'run-1', remote_id: '667542' };
const counts = emptySyncRunCounts();
const error = { code: 'scim_conflict', message: 'userName exists', retryable: false, status: 409, truto_error_insight: 'conflict_error' };
const commandEvent = buildCloudEvent({
  id: 'cmd-1',
  type: COMMAND_TYPES.archiveUser,
  source: integratedAccountSource('acc-1'),
  time: '2025-01-02T03:04:05.000Z',
  data: { ...base, user_name: 'jane.doe@example.com', user_id: '667542' },
});

/** A valid `data` for every event type; the test below proves the table is complete. */
const validData: Record<string, unknown> = {
  'knowbe4.user.created': { ...directoryBase, user },
  'knowbe4.user.updated': { ...directoryBase, user, changes: [{ field: 'title', from: null, to: 'Engineer' }] },
  'knowbe4.user.archived': { ...directoryBase, user: { ...user, status: 'inactive' } },
  'knowbe4.user.reactivated': { ...directoryBase, user },
  'knowbe4.user.deleted': { ...directoryBase, user },
  'knowbe4.user.risk_changed': { ...directoryBase, user, changes: [{ field: 'phish_prone_percentage', from: 25.6, to: 0 }] },
  'knowbe4.group.created': { ...directoryBase, remote_id: '3264', group },
  'knowbe4.group.updated': { ...directoryBase, remote_id: '3264', group, changes: [{ field: 'name', from: 'Eng', to: 'Engineering' }] },
  'knowbe4.group.deleted': { ...directoryBase, remote_id: '3264', group },
  'knowbe4.group.member_added': { ...directoryBase, remote_id: '3264', group_id: '3264', user_id: '667542', group, user },
  'knowbe4.group.member_removed': { ...directoryBase, remote_id: '3264', group_id: '3264', user_id: '667542', group },
  'knowbe4.training.enrollment_changed': { ...directoryBase, remote_id: '9001', user_id: '667542', enrollment: { enrollment_id: 9001, status: 'Passed' } },
  'knowbe4.command.user.create': { ...base, user_name: 'new.hire@example.com', user: { username: 'New.Hire@example.com', first_name: 'New', external_id: '000123', custom_fields: { custom_field_1: 'x' } }, groups: [{ id: '3264' }] },
  'knowbe4.command.user.update': { ...base, user_name: 'jane.doe@example.com', user_id: '667542', changes: { title: null, phones: [{ number: '+1 555', extension: null, type: 'work' }] } },
  'knowbe4.command.user.archive': { ...base, user_name: 'jane.doe@example.com', user_id: '667542' },
  'knowbe4.command.group.create': { ...base, group: { name: 'New Hires' } },
  'knowbe4.command.group.add_members': { ...base, group_id: '3264', user_ids: ['667542'] },
  'knowbe4.command.group.remove_member': { ...base, group_id: '3264', user_id: '667542' },
  'knowbe4.command.group.update': { ...base, group_id: '3264', name: 'Engineering' },
  'knowbe4.command.group.delete': { ...base, group_id: '3264', scim_id: 'grp-scim-1' },
  'knowbe4.operation.succeeded': { operation_id: 'op-1', integrated_account_id: 'acc-1', command_type: COMMAND_TYPES.createUser, attempt: 1, completed_at: '2025-01-02T03:04:06.000Z', scim_id: 'scim-1' },
  'knowbe4.operation.failed': { operation_id: 'op-1', integrated_account_id: 'acc-1', command_type: COMMAND_TYPES.createUser, attempt: 3, completed_at: '2025-01-02T03:04:06.000Z', error },
  'knowbe4.operation.dead_lettered': { command: commandEvent, error: { ...error, retryable: true }, attempts: 5, dead_lettered_at: '2025-01-02T03:05:00.000Z', source_topic: 'knowbe4.provisioning.commands' },
  'knowbe4.sync_run.started': { integrated_account_id: 'acc-1', sync_run_id: 'run-1', trigger: 'schedule', started_at: '2025-01-02T03:00:00.000Z' },
  'knowbe4.sync_run.completed': { integrated_account_id: 'acc-1', sync_run_id: 'run-1', trigger: 'schedule', started_at: '2025-01-02T03:00:00.000Z', completed_at: '2025-01-02T03:01:00.000Z', complete: true, counts: { ...counts, users_seen: 300 } },
  'knowbe4.sync_run.failed': { integrated_account_id: 'acc-1', sync_run_id: 'run-1', trigger: 'manual', started_at: '2025-01-02T03:00:00.000Z', failed_at: '2025-01-02T03:00:30.000Z', counts, error: { code: 'auth_error', message: 'Invalid Token', retryable: false, status: 401 } },
  'knowbe4.sync.record_skipped': { integrated_account_id: 'acc-1', sync_run_id: 'run-1', entity: 'user', remote_id: '667542', page: 3, reason: 'too_large' },
  'knowbe4.roster_run.started': { ...rosterBase, counts: { planned: 5, done: 0, failed: 0 } },
  'knowbe4.roster_run.completed': { ...rosterBase, completed_at: '2025-01-02T03:01:00.000Z', counts: { planned: 5, done: 5, failed: 0 } },
  'knowbe4.roster_run.failed': {
    ...rosterBase,
    failed_at: '2025-01-02T03:01:00.000Z',
    counts: { planned: 5, done: 4, failed: 1 },
    error: { code: 'roster_items_failed', message: '1 of 5 changes failed', retryable: false },
  },
};

describe('event data classes', () => {
  it('has a data class and a valid example for every event type', () => {
    expect(Object.keys(EVENT_DATA_CLASSES).sort()).toEqual([...ALL_EVENT_TYPES].sort());
    expect(Object.keys(validData).sort()).toEqual([...ALL_EVENT_TYPES].sort());
  });

  it.each(Object.entries(validData))('accepts a valid %s', (type, data) => {
    expect(validateEventData({ type, data })).toMatchObject({ ok: true });
  });

  it('rejects an unknown event type', () => {
    expect(validateEventData({ type: 'knowbe4.user.exploded', data: {} })).toEqual({
      ok: false,
      errors: [{ path: 'type', constraints: { isEventType: 'unknown event type knowbe4.user.exploded' } }],
    });
  });
});

describe('validateDto', () => {
  it.each([
    ['a command without attempt', ArchiveUserCommand, { ...base, attempt: undefined, user_name: 'a@example.com', user_id: '1' }, 'attempt'],
    ['attempt 0', ArchiveUserCommand, { ...base, attempt: 0, user_name: 'a@example.com', user_id: '1' }, 'attempt'],
    ['a user_name that is not an email', ArchiveUserCommand, { ...base, user_name: 'jane', user_id: '1' }, 'user_name'],
    ['a nested invalid email', CreateUserCommand, { ...base, user_name: 'a@example.com', user: { emails: [{ email: 'nope', type: 'work', is_primary: true }] } }, 'user.emails.0.email'],
    ['an unknown status', UpdateUserCommand, { ...base, user_name: 'a@example.com', user_id: '1', changes: { status: 'archived' } }, 'changes.status'],
    ['a phone without a number', UpdateUserCommand, { ...base, user_name: 'a@example.com', user_id: '1', changes: { phones: [{ type: 'work' }] } }, 'changes.phones.0.number'],
    ['an empty member list', AddGroupMembersCommand, { ...base, group_id: '1', user_ids: [] }, 'user_ids'],
    ['a group without a name', CreateGroupCommand, { ...base, group: {} }, 'group.name'],
    ['a missing user id', RemoveGroupMemberCommand, { ...base, group_id: '1' }, 'user_id'],
    ['a group rename without a name', UpdateGroupCommand, { ...base, group_id: '1', name: '' }, 'name'],
    ['a create joining more groups than the limit', CreateUserCommand, { ...base, user_name: 'a@example.com', user: {}, groups: Array.from({ length: 51 }, (_, i) => ({ id: String(i) })) }, 'groups'],
    ['a create joining a group without an id', CreateUserCommand, { ...base, user_name: 'a@example.com', user: {}, groups: [{}] }, 'groups.0.id'],
    ['an update without changes', UserUpdatedEventData, { ...directoryBase, user, changes: [] }, 'changes'],
    ['a user record without id', UserUpdatedEventData, { ...directoryBase, user: { ...user, id: undefined }, changes: [{ field: 'a', from: 1, to: 2 }] }, 'user.id'],
    ['a negative count', SyncRunCompletedData, { ...(validData['knowbe4.sync_run.completed'] as object), counts: { ...counts, users_seen: -1 } }, 'counts.users_seen'],
    ['a missing count', SyncRunCompletedData, { ...(validData['knowbe4.sync_run.completed'] as object), counts: { users_seen: 1 } }, 'counts.users_created'],
    ['a dead letter of a non-command', DeadLetterData, { ...(validData['knowbe4.operation.dead_lettered'] as object), command: { ...commandEvent, type: 'knowbe4.user.created' } }, 'command.type'],
  ] as Array<[string, new () => object, unknown, string]>)('reports %s at its path', (_what, dto, plain, path) => {
    const result = validateDto(dto, plain);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toContain(path);
  });

  it('returns a typed instance and keeps unknown fields for forward compatibility', () => {
    const result = validateDto(ArchiveUserCommand, { ...base, user_name: 'a@example.com', user_id: '1', added_later: true });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).toBeInstanceOf(ArchiveUserCommand);
      expect(result.value.user_id).toBe('1');
      expect((result.value as unknown as Record<string, unknown>).added_later).toBe(true);
    }
  });

  it.each([[null], ['text'], [[1]]])('rejects a payload that is not an object: %j', (plain) => {
    expect(validateDto(ArchiveUserCommand, plain)).toEqual({
      ok: false,
      errors: [{ path: '', constraints: { isObject: 'ArchiveUserCommand must be an object' } }],
    });
  });

  it('assertValidDto throws a DtoValidationError naming the fields', () => {
    expect(() => assertValidDto(ArchiveUserCommand, { ...base, user_id: '1' })).toThrow(DtoValidationError);
    expect(() => assertValidDto(ArchiveUserCommand, { ...base, user_id: '1' })).toThrow(/user_name/);
  });
});
