import { isKnowBe4Error, KnowBe4BudgetExhaustedError, KnowBe4Error } from '@kb4/knowbe4';
import { ApiError } from '@kb4/platform';

/** HTTP status we answer for a KnowBe4 failure: its 4xx as is, 429 for our own budget, 502 for 5xx/unreachable. */
export function statusForRemote(error: KnowBe4Error): number {
  if (error instanceof KnowBe4BudgetExhaustedError) return 429;
  if (error.status !== undefined && error.status >= 400 && error.status < 500) return error.status;
  return 502;
}

/**
 * design.md's error shape for a failure that came from KnowBe4: truto_is_remote_error, raw_response (upstream
 * status and body, already redacted by the client) and truto_error_insight. Anything else is rethrown.
 */
export function toRemoteApiError(error: unknown, context: string): ApiError {
  if (!isKnowBe4Error(error)) throw error;
  const status = statusForRemote(error);
  const message = error instanceof KnowBe4BudgetExhaustedError ? error.message : `${context}: ${error.message}`;
  return new ApiError(status, message, undefined, {
    status: error.status ?? 0,
    body: error.body ?? null,
    insight: error.insight,
  });
}
