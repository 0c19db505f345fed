import { COMMAND_TYPES, DIRECTORY_EVENT_TYPES, OPERATION_RESULT_TYPES, type CloudEventEnvelope } from '@kb4/contracts';

/** What a consumed event asks of automations. */
export type Trigger =
  | { kind: 'user'; accountId: string; userId: string; newHire: boolean; reactivatedBy?: string }
  | { kind: 'account'; accountId: string }
  | { kind: 'none' };

const NONE: Trigger = { kind: 'none' };

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Directory events (the poller's observations) and provisioning results (our own writes, which reach the mirror
 * through the provisioner's refresh with no directory event) → the user to evaluate, or the whole account when a
 * group appears (a rule naming a group not created yet can now apply).
 */
export function triggerOf(event: CloudEventEnvelope<unknown>): Trigger {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const accountId = text(data.integrated_account_id);
  if (!accountId) return NONE;
  switch (event.type) {
    case DIRECTORY_EVENT_TYPES.userCreated:
    case DIRECTORY_EVENT_TYPES.userReactivated:
    case DIRECTORY_EVENT_TYPES.userUpdated: {
      const userId = text(data.remote_id);
      return userId ? { kind: 'user', accountId, userId, newHire: event.type !== DIRECTORY_EVENT_TYPES.userUpdated } : NONE;
    }
    case DIRECTORY_EVENT_TYPES.groupMemberAdded:
    case DIRECTORY_EVENT_TYPES.groupMemberRemoved: {
      const userId = text(data.user_id);
      return userId ? { kind: 'user', accountId, userId, newHire: false } : NONE;
    }
    case DIRECTORY_EVENT_TYPES.groupCreated:
      return { kind: 'account', accountId };
    case OPERATION_RESULT_TYPES.succeeded:
      return resultTrigger(accountId, data);
    default:
      return NONE;
  }
}

function resultTrigger(accountId: string, data: Record<string, unknown>): Trigger {
  const userId = text(data.remote_id) ?? text(data.scim_id);
  switch (data.command_type) {
    case COMMAND_TYPES.createUser:
      return userId ? { kind: 'user', accountId, userId, newHire: true } : NONE;
    case COMMAND_TYPES.updateUser: {
      // the result has no status before: an update that set status active (API or roster reactivation) is checked by its operation
      const operationId = text(data.operation_id);
      return userId ? { kind: 'user', accountId, userId, newHire: false, ...(operationId ? { reactivatedBy: operationId } : {}) } : NONE;
    }
    case COMMAND_TYPES.createGroup:
      return { kind: 'account', accountId };
    default:
      return NONE;
  }
}
