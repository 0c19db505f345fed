/** CloudEvent `type` values of every message this system produces. */
export const DIRECTORY_EVENT_TYPES = {
  userCreated: 'knowbe4.user.created',
  userUpdated: 'knowbe4.user.updated',
  userArchived: 'knowbe4.user.archived',
  userReactivated: 'knowbe4.user.reactivated',
  userDeleted: 'knowbe4.user.deleted',
  userRiskChanged: 'knowbe4.user.risk_changed',
  groupCreated: 'knowbe4.group.created',
  groupUpdated: 'knowbe4.group.updated',
  groupDeleted: 'knowbe4.group.deleted',
  groupMemberAdded: 'knowbe4.group.member_added',
  groupMemberRemoved: 'knowbe4.group.member_removed',
  trainingEnrollmentChanged: 'knowbe4.training.enrollment_changed',
} as const;

export const COMMAND_TYPES = {
  createUser: 'knowbe4.command.user.create',
  updateUser: 'knowbe4.command.user.update',
  archiveUser: 'knowbe4.command.user.archive',
  createGroup: 'knowbe4.command.group.create',
  addGroupMembers: 'knowbe4.command.group.add_members',
  removeGroupMember: 'knowbe4.command.group.remove_member',
  updateGroup: 'knowbe4.command.group.update',
  deleteGroup: 'knowbe4.command.group.delete',
} as const;

export const OPERATION_RESULT_TYPES = {
  succeeded: 'knowbe4.operation.succeeded',
  failed: 'knowbe4.operation.failed',
} as const;

/** The DLQ value is a CloudEvent too, so the same reader handles every topic. */
export const DEAD_LETTER_TYPES = {
  deadLettered: 'knowbe4.operation.dead_lettered',
} as const;

export const SYNC_RUN_EVENT_TYPES = {
  started: 'knowbe4.sync_run.started',
  completed: 'knowbe4.sync_run.completed',
  failed: 'knowbe4.sync_run.failed',
} as const;

/** On the sync runs topic too: a record a run could not store (skipped, counted, the rest of the run goes on). */
export const SYNC_RECORD_EVENT_TYPES = {
  recordSkipped: 'knowbe4.sync.record_skipped',
} as const;

/** On the roster runs topic: a roster run (PUT /unified/user-directory/roster) started, finished, or finished with failures. */
export const ROSTER_RUN_EVENT_TYPES = {
  started: 'knowbe4.roster_run.started',
  completed: 'knowbe4.roster_run.completed',
  failed: 'knowbe4.roster_run.failed',
} as const;

type ValuesOf<T> = T[keyof T];
export type DirectoryEventType = ValuesOf<typeof DIRECTORY_EVENT_TYPES>;
export type CommandType = ValuesOf<typeof COMMAND_TYPES>;
export type OperationResultType = ValuesOf<typeof OPERATION_RESULT_TYPES>;
export type DeadLetterType = ValuesOf<typeof DEAD_LETTER_TYPES>;
export type SyncRunEventType = ValuesOf<typeof SYNC_RUN_EVENT_TYPES>;
export type SyncRecordEventType = ValuesOf<typeof SYNC_RECORD_EVENT_TYPES>;
export type RosterRunEventType = ValuesOf<typeof ROSTER_RUN_EVENT_TYPES>;
export type EventType =
  | DirectoryEventType
  | CommandType
  | OperationResultType
  | DeadLetterType
  | SyncRunEventType
  | SyncRecordEventType
  | RosterRunEventType;

export const ALL_EVENT_TYPES: readonly EventType[] = [
  ...Object.values(DIRECTORY_EVENT_TYPES),
  ...Object.values(COMMAND_TYPES),
  ...Object.values(OPERATION_RESULT_TYPES),
  ...Object.values(DEAD_LETTER_TYPES),
  ...Object.values(SYNC_RUN_EVENT_TYPES),
  ...Object.values(SYNC_RECORD_EVENT_TYPES),
  ...Object.values(ROSTER_RUN_EVENT_TYPES),
];

export function isEventType(value: string): value is EventType {
  return (ALL_EVENT_TYPES as readonly string[]).includes(value);
}
