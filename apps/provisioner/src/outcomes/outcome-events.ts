import {
  buildCloudEvent,
  CloudEventEnvelope,
  CommandType,
  DEAD_LETTER_TYPES,
  DeadLetterData,
  deterministicEventId,
  integratedAccountSource,
  OPERATION_RESULT_TYPES,
  OperationFailedData,
  OperationSucceededData,
  TOPICS,
} from '@kb4/contracts';
import type { OutboxMessage } from '@kb4/persistence';
import type { OperationFailure } from '../commands/failure';

export interface CommandCoordinates {
  commandId: string;
  key: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface ResultBase {
  operationId: string;
  accountId: string;
  commandType: CommandType;
  attempt: number;
  completedAt: Date;
  key: string;
  commandId: string;
}

// Ids derive from the command id, so a re-run of the same command writes the same events (outbox de-duplicates).
function resultEvent<T>(type: string, base: ResultBase, data: T): OutboxMessage {
  return {
    topic: TOPICS.provisioningResults,
    key: base.key,
    event: buildCloudEvent({
      id: deterministicEventId([base.operationId, type, base.commandId]),
      type,
      source: integratedAccountSource(base.accountId),
      subject: `operations/${base.operationId}`,
      time: base.completedAt,
      data,
    }),
  };
}

export function succeededEvent(
  base: ResultBase,
  details: { remoteId: string | null; scimId: string | null; resource?: Record<string, unknown> },
): OutboxMessage {
  const data: OperationSucceededData = {
    operation_id: base.operationId,
    integrated_account_id: base.accountId,
    command_type: base.commandType,
    attempt: base.attempt,
    completed_at: base.completedAt.toISOString(),
    remote_id: details.remoteId,
    scim_id: details.scimId,
    ...(details.resource ? { resource: details.resource } : {}),
  };
  return resultEvent(OPERATION_RESULT_TYPES.succeeded, base, data);
}

export function failedEvent(base: ResultBase, error: OperationFailure): OutboxMessage {
  const data: OperationFailedData = {
    operation_id: base.operationId,
    integrated_account_id: base.accountId,
    command_type: base.commandType,
    attempt: base.attempt,
    completed_at: base.completedAt.toISOString(),
    error,
  };
  return resultEvent(OPERATION_RESULT_TYPES.failed, base, data);
}

/** The original command (as received, or as much of it as could be read) plus the error and attempts. */
export function deadLetterEvent(input: {
  command: CloudEventEnvelope<unknown> | Record<string, unknown>;
  accountId: string | null;
  operationId: string | null;
  error: OperationFailure;
  attempts: number;
  at: Date;
  coordinates: CommandCoordinates;
}): OutboxMessage {
  const data: Omit<DeadLetterData, 'command'> & { command: Record<string, unknown> } = {
    command: input.command as Record<string, unknown>,
    error: input.error,
    attempts: Math.max(1, input.attempts),
    dead_lettered_at: input.at.toISOString(),
    source_topic: input.coordinates.topic,
    source_partition: input.coordinates.partition,
    source_offset: input.coordinates.offset,
  };
  const source = input.accountId ? integratedAccountSource(input.accountId) : '/kb4-directory/provisioner';
  return {
    topic: TOPICS.provisioningDlq,
    key: input.coordinates.key,
    event: buildCloudEvent({
      id: deterministicEventId(['dead_lettered', input.coordinates.commandId]),
      type: DEAD_LETTER_TYPES.deadLettered,
      source,
      ...(input.operationId ? { subject: `operations/${input.operationId}` } : {}),
      time: input.at,
      data,
    }),
  };
}
