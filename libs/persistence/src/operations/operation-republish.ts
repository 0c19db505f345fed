import { randomUUID } from 'node:crypto';
import { buildCommandEvent, type StoredCommand, TOPICS } from '@kb4/contracts';
import type { OperationEntity } from '../entities/operations.entities';
import type { OutboxMessage } from '../outbox/outbox.repository';
import type { StalledScan } from '../repositories/operation.repository';

/** Operations re-published per scan transaction; a larger backlog is taken in further rounds of the same tick. */
export const STALLED_SCAN_LIMIT = 200;

/** The stall bound (OPERATION_STALL_SECONDS) and its backoff, as OperationRepository's scans take them. */
export function stalledScanOf(config: { OPERATION_STALL_SECONDS: number }): StalledScan {
  return {
    stallSeconds: config.OPERATION_STALL_SECONDS,
    maxBackoffSeconds: Math.max(config.OPERATION_STALL_SECONDS, Math.min(3600, config.OPERATION_STALL_SECONDS * 64)),
    limit: STALLED_SCAN_LIMIT,
    commandTopic: TOPICS.provisioningCommands,
  };
}

/** The command CloudEvent for an operation; every publication (first or retry) gets a fresh event id. */
export function commandMessage(operation: { id: string; accountId: string }, command: StoredCommand, attempt: number, now = new Date()): OutboxMessage {
  return {
    topic: TOPICS.provisioningCommands,
    key: command.key,
    event: buildCommandEvent({ id: randomUUID(), operation, command, attempt, now }),
  };
}

/** The next command of an operation, built from its stored request (the same payload the gateway first sent). */
export function republishedCommand(operation: OperationEntity): OutboxMessage {
  return commandMessage(operation, (operation.request as { command: StoredCommand }).command, operation.attempts + 1);
}
