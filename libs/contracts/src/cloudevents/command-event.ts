import type { CommandType } from '../event-types';
import { buildCloudEvent, CloudEventEnvelope, integratedAccountSource } from './envelope';

/** A command as stored on its operation (`operations.request.command`): enough to build it again at any time. */
export interface StoredCommand {
  type: CommandType;
  key: string;
  payload: Record<string, unknown>;
}

export interface CommandEventInput {
  id: string;
  operation: { id: string; accountId: string };
  command: StoredCommand;
  attempt: number;
  now?: Date;
}

/**
 * The `knowbe4.command.*` CloudEvent of one operation. The gateway publishes it when a write is accepted (and on a
 * retry or re-publication); the provisioner builds the same event when it applies an older, stranded operation of
 * the same user or group first.
 */
export function buildCommandEvent(input: CommandEventInput): CloudEventEnvelope<Record<string, unknown>> {
  const now = input.now ?? new Date();
  return buildCloudEvent({
    id: input.id,
    type: input.command.type,
    source: integratedAccountSource(input.operation.accountId),
    subject: `operations/${input.operation.id}`,
    time: now,
    data: {
      ...input.command.payload,
      operation_id: input.operation.id,
      integrated_account_id: input.operation.accountId,
      attempt: input.attempt,
      requested_at: now.toISOString(),
    },
  });
}
