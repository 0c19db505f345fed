import {
  COMMAND_TYPES,
  DIRECTORY_EVENT_TYPES,
  OPERATION_RESULT_TYPES,
  ROSTER_RUN_EVENT_TYPES,
  SYNC_RUN_EVENT_TYPES,
  type CloudEventEnvelope,
  type WebhookEventType,
  type WebhookRecordResource,
} from '@kb4/contracts';

/** A webhook event a Kafka event stands for directly. */
export interface MappedWebhookEvent {
  type: WebhookEventType;
  resource?: WebhookRecordResource;
}

/**
 * What one Kafka event means for webhooks: the events it stands for, and how it moves the account's authentication
 * state (`integrated_account:*` are sent on a change of that state only, so they are derived inside the store's
 * transaction).
 */
export interface WebhookMapping {
  events: MappedWebhookEvent[];
  authentication?: 'failed' | 'working';
}

const RECORD_EVENTS: Record<string, MappedWebhookEvent> = {
  [DIRECTORY_EVENT_TYPES.userCreated]: { type: 'record:created', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.userUpdated]: { type: 'record:updated', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.userArchived]: { type: 'record:updated', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.userReactivated]: { type: 'record:updated', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.userRiskChanged]: { type: 'record:updated', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.userDeleted]: { type: 'record:deleted', resource: 'user' },
  [DIRECTORY_EVENT_TYPES.groupCreated]: { type: 'record:created', resource: 'group' },
  [DIRECTORY_EVENT_TYPES.groupUpdated]: { type: 'record:updated', resource: 'group' },
  [DIRECTORY_EVENT_TYPES.groupDeleted]: { type: 'record:deleted', resource: 'group' },
  [DIRECTORY_EVENT_TYPES.groupMemberAdded]: { type: 'record:created', resource: 'group_membership' },
  [DIRECTORY_EVENT_TYPES.groupMemberRemoved]: { type: 'record:deleted', resource: 'group_membership' },
};

const OTHER_EVENTS: Record<string, WebhookEventType> = {
  [SYNC_RUN_EVENT_TYPES.started]: 'sync_job_run:started',
  [SYNC_RUN_EVENT_TYPES.completed]: 'sync_job_run:completed',
  [SYNC_RUN_EVENT_TYPES.failed]: 'sync_job_run:failed',
  [OPERATION_RESULT_TYPES.succeeded]: 'operation:succeeded',
  [OPERATION_RESULT_TYPES.failed]: 'operation:failed',
  [ROSTER_RUN_EVENT_TYPES.started]: 'roster_run:started',
  [ROSTER_RUN_EVENT_TYPES.completed]: 'roster_run:completed',
  [ROSTER_RUN_EVENT_TYPES.failed]: 'roster_run:failed',
};

function commandTypeOf(data: unknown): string | undefined {
  const type = (data as { command_type?: unknown } | null)?.command_type;
  return typeof type === 'string' ? type : undefined;
}

function errorCodeOf(data: unknown): string | undefined {
  const error = (data as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/**
 * Kafka event → webhook events. Training enrollments, commands, DLQ entries and skipped records have none.
 * A sync run refused with `auth_error` marks the account failing; a completed run marks it working again.
 */
export function mapKafkaEvent(event: CloudEventEnvelope<unknown>): WebhookMapping {
  const record = RECORD_EVENTS[event.type];
  if (record) return { events: [record] };
  const other = OTHER_EVENTS[event.type];
  if (!other) return { events: [] };
  if (event.type === SYNC_RUN_EVENT_TYPES.failed && errorCodeOf(event.data) === 'auth_error') return { events: [{ type: other }], authentication: 'failed' };
  if (event.type === SYNC_RUN_EVENT_TYPES.completed) return { events: [{ type: other }], authentication: 'working' };
  // a group deleted through us leaves the mirror with the write, so no poller ever reports it: its result is the notice
  if (event.type === OPERATION_RESULT_TYPES.succeeded && commandTypeOf(event.data) === COMMAND_TYPES.deleteGroup) {
    return { events: [{ type: other }, { type: 'record:deleted', resource: 'group' }] };
  }
  return { events: [{ type: other }] };
}

/** The JSON body sent for one webhook event: Standard Webhooks' `type`/`timestamp`/`data`, `data` the CloudEvent as on Kafka. */
export function webhookBody(type: WebhookEventType, event: CloudEventEnvelope<unknown>, integratedAccountId: string, resource?: WebhookRecordResource): Record<string, unknown> {
  return { type, timestamp: event.time, ...(resource ? { resource } : {}), integrated_account_id: integratedAccountId, data: event };
}
