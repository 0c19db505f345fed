import type { ClassConstructor } from 'class-transformer';
import type { CloudEventEnvelope } from '../cloudevents/envelope';
import {
  COMMAND_TYPES,
  DEAD_LETTER_TYPES,
  DIRECTORY_EVENT_TYPES,
  OPERATION_RESULT_TYPES,
  ROSTER_RUN_EVENT_TYPES,
  SYNC_RECORD_EVENT_TYPES,
  SYNC_RUN_EVENT_TYPES,
  isEventType,
} from '../event-types';
import {
  AddGroupMembersCommand,
  ArchiveUserCommand,
  CreateGroupCommand,
  CreateUserCommand,
  DeleteGroupCommand,
  RemoveGroupMemberCommand,
  UpdateGroupCommand,
  UpdateUserCommand,
} from '../dto/commands.dto';
import { DeadLetterData } from '../dto/dead-letter.dto';
import {
  GroupEventData,
  GroupMembershipEventData,
  TrainingEnrollmentChangedEventData,
  UserEventData,
  UserUpdatedEventData,
} from '../dto/directory-events.dto';
import { OperationFailedData, OperationSucceededData } from '../dto/results.dto';
import { RosterRunCompletedData, RosterRunFailedData, RosterRunStartedData } from '../dto/roster-runs.dto';
import { SyncRecordSkippedData, SyncRunCompletedData, SyncRunFailedData, SyncRunStartedData } from '../dto/sync-runs.dto';
import { validateDto, type DtoValidationResult } from './validate-dto';

/** The `data` class of every event type: producers and consumers validate with the same classes. */
export const EVENT_DATA_CLASSES = {
  [DIRECTORY_EVENT_TYPES.userCreated]: UserEventData,
  [DIRECTORY_EVENT_TYPES.userUpdated]: UserUpdatedEventData,
  [DIRECTORY_EVENT_TYPES.userArchived]: UserEventData,
  [DIRECTORY_EVENT_TYPES.userReactivated]: UserEventData,
  [DIRECTORY_EVENT_TYPES.userDeleted]: UserEventData,
  [DIRECTORY_EVENT_TYPES.userRiskChanged]: UserEventData,
  [DIRECTORY_EVENT_TYPES.groupCreated]: GroupEventData,
  [DIRECTORY_EVENT_TYPES.groupUpdated]: GroupEventData,
  [DIRECTORY_EVENT_TYPES.groupDeleted]: GroupEventData,
  [DIRECTORY_EVENT_TYPES.groupMemberAdded]: GroupMembershipEventData,
  [DIRECTORY_EVENT_TYPES.groupMemberRemoved]: GroupMembershipEventData,
  [DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged]: TrainingEnrollmentChangedEventData,
  [COMMAND_TYPES.createUser]: CreateUserCommand,
  [COMMAND_TYPES.updateUser]: UpdateUserCommand,
  [COMMAND_TYPES.archiveUser]: ArchiveUserCommand,
  [COMMAND_TYPES.createGroup]: CreateGroupCommand,
  [COMMAND_TYPES.addGroupMembers]: AddGroupMembersCommand,
  [COMMAND_TYPES.removeGroupMember]: RemoveGroupMemberCommand,
  [COMMAND_TYPES.updateGroup]: UpdateGroupCommand,
  [COMMAND_TYPES.deleteGroup]: DeleteGroupCommand,
  [OPERATION_RESULT_TYPES.succeeded]: OperationSucceededData,
  [OPERATION_RESULT_TYPES.failed]: OperationFailedData,
  [DEAD_LETTER_TYPES.deadLettered]: DeadLetterData,
  [SYNC_RUN_EVENT_TYPES.started]: SyncRunStartedData,
  [SYNC_RUN_EVENT_TYPES.completed]: SyncRunCompletedData,
  [SYNC_RUN_EVENT_TYPES.failed]: SyncRunFailedData,
  [SYNC_RECORD_EVENT_TYPES.recordSkipped]: SyncRecordSkippedData,
  [ROSTER_RUN_EVENT_TYPES.started]: RosterRunStartedData,
  [ROSTER_RUN_EVENT_TYPES.completed]: RosterRunCompletedData,
  [ROSTER_RUN_EVENT_TYPES.failed]: RosterRunFailedData,
} as const satisfies Record<string, ClassConstructor<object>>;

export type EventDataClasses = typeof EVENT_DATA_CLASSES;
/** `EventData<'knowbe4.user.updated'>` is `UserUpdatedEventData`. */
export type EventData<K extends keyof EventDataClasses> = InstanceType<EventDataClasses[K]>;

/** Validates `event.data` against the class its `type` names; an unknown type is an error too. */
export function validateEventData(event: Pick<CloudEventEnvelope<unknown>, 'type' | 'data'>): DtoValidationResult<object> {
  if (!isEventType(event.type)) {
    return { ok: false, errors: [{ path: 'type', constraints: { isEventType: `unknown event type ${event.type}` } }] };
  }
  const dto: ClassConstructor<object> = EVENT_DATA_CLASSES[event.type];
  return validateDto(dto, event.data);
}
