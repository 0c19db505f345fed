import { isKnowBe4Error, KnowBe4ErrorInsight, ScimRequestError } from '@kb4/knowbe4';
import { ScimMappingError } from '@kb4/mapping';
import { safeErrorMessage } from '@kb4/platform';

/** Shaped like contracts' OperationErrorDto: what the operation row, the failed result and the DLQ carry. */
export interface OperationFailure {
  code: string;
  message: string;
  retryable: boolean;
  status?: number | null;
  truto_is_remote_error?: boolean;
  truto_error_insight?: 'remote_error' | 'rate_limit_error' | 'auth_error' | 'not_found_error' | 'conflict_error' | 'validation_error';
  raw_response?: Record<string, unknown>;
  /** What the write had already done when it failed (a created user, the groups it joined and the ones it could not). */
  details?: Record<string, unknown>;
}

/** A failure decided by the write logic itself (e.g. the user to update does not exist in KnowBe4). */
export class CommandRejectedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly insight: OperationFailure['truto_error_insight'] = 'validation_error',
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CommandRejectedError';
  }
}

const INSIGHT_FOR: Record<KnowBe4ErrorInsight, NonNullable<OperationFailure['truto_error_insight']>> = {
  auth_error: 'auth_error',
  forbidden_error: 'auth_error',
  rate_limit_error: 'rate_limit_error',
  not_found_error: 'not_found_error',
  conflict_error: 'conflict_error',
  invalid_request_error: 'validation_error',
  remote_error: 'remote_error',
};

/** Maps anything a write attempt threw to a stored failure and whether another attempt may succeed. */
export function describeFailure(error: unknown): OperationFailure {
  if (isKnowBe4Error(error)) {
    const code = error instanceof ScimRequestError && error.scimType ? `scim_${error.scimType}` : INSIGHT_FOR[error.insight];
    return {
      code,
      message: error.message,
      // 429, 5xx, network and a spent local budget may pass later; other 4xx will not.
      retryable: error.transient,
      status: error.status ?? null,
      truto_is_remote_error: error.status !== undefined,
      truto_error_insight: INSIGHT_FOR[error.insight],
      raw_response: { status: error.status ?? null, body: error.body ?? null, request_id: error.requestId ?? null },
    };
  }
  if (error instanceof CommandRejectedError) {
    return { code: error.code, message: error.message, retryable: false, truto_error_insight: error.insight, ...(error.details ? { details: error.details } : {}) };
  }
  if (error instanceof ScimMappingError) {
    return { code: 'validation_error', message: error.message, retryable: false, truto_error_insight: 'validation_error' };
  }
  // a database error's message can quote a value (user data); the operation, its events and the log get it without
  const message = safeErrorMessage(error);
  // Unknown failures (a dropped database connection, a bug) get the bounded retries, then the DLQ.
  return { code: 'internal_error', message, retryable: true };
}

/**
 * Whether a final failure is dead-lettered. The DLQ holds commands worth replaying once KnowBe4 or the account is
 * fixed (retries outlasted by an outage, rejected credentials, a missing target). A request KnowBe4 refused as
 * invalid (SCIM 400 such as `invalidValue`) or that could not be expressed in SCIM is the caller's error: a replay
 * would fail the same way, so the failed operation and its result event carry it, and the DLQ does not.
 */
export function isDeadLettered(failure: OperationFailure): boolean {
  return failure.retryable || failure.truto_error_insight !== 'validation_error';
}
