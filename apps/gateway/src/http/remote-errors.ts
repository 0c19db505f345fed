import { Counter } from 'prom-client';
import { isKnowBe4Error, KnowBe4BudgetExhaustedError, KnowBe4Error, KnowBe4PacingTimeoutError } from '@kb4/knowbe4';
import { ApiError, metricsRegistry } from '@kb4/platform';

/** Calls our KnowBe4 pacing did not send: no slot within the bound, the day spent, or the caller hung up while waiting. */
export const knowbe4PacingOutcomes = new Counter({
  name: 'kb4_gateway_knowbe4_pacing_total',
  help: 'KnowBe4 calls the gateway did not send because of its own pacing (429 answered) or because the caller went away while waiting',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** HTTP status we answer for a KnowBe4 failure: its 4xx as is, 429 for our own pacing, 502 for 5xx/unreachable. */
export function statusForRemote(error: KnowBe4Error): number {
  if (error instanceof KnowBe4BudgetExhaustedError || error instanceof KnowBe4PacingTimeoutError) return 429;
  if (error.status !== undefined && error.status >= 400 && error.status < 500) return error.status;
  return 502;
}

/**
 * Our own pacing refused to send the request (the account's daily budget is spent, or no slot came within
 * KNOWBE4_MAX_QUEUE_WAIT_MS). KnowBe4 never saw it, so it is not a remote error: 429 with `retry-after` and
 * `truto_error_insight: rate_limit_error`, without `truto_is_remote_error` / `raw_response`.
 */
export function pacingRefusal(error: KnowBe4BudgetExhaustedError | KnowBe4PacingTimeoutError, now = Date.now()): ApiError {
  const spent = error instanceof KnowBe4BudgetExhaustedError;
  knowbe4PacingOutcomes.inc({ outcome: spent ? 'budget_exhausted' : 'queue_timeout' });
  const retryAfterMs = spent ? error.resumeAt.getTime() - now : error.retryAfterMs;
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return new ApiError(429, error.message, undefined, undefined, { insight: error.insight, headers: { 'retry-after': retryAfter } });
}

/**
 * design.md's error shape for a failure that came from KnowBe4: truto_is_remote_error, raw_response (upstream
 * status and body, already redacted by the client) and truto_error_insight. Our own pacing refusals are answered
 * by `pacingRefusal`. Anything else is rethrown.
 */
export function toRemoteApiError(error: unknown, context: string): ApiError {
  if (!isKnowBe4Error(error)) throw error;
  if (error instanceof KnowBe4BudgetExhaustedError || error instanceof KnowBe4PacingTimeoutError) return pacingRefusal(error);
  return new ApiError(statusForRemote(error), `${context}: ${error.message}`, undefined, {
    status: error.status ?? 0,
    body: error.body ?? null,
    insight: error.insight,
  });
}
