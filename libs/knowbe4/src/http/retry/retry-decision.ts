import type { Clock } from '../clock';
import { isRetryableNetworkError, isRetryableStatus, nextRetryDelayMs, parseRetryAfterMs, RetryPolicy } from './retry-policy';

/**
 * Whether a failed attempt is tried again: `retryDelayMs` is the wait before the next attempt, undefined when
 * this failure is final.
 */
export interface RetryDecision {
  retryable: boolean;
  retryDelayMs?: number;
}

/** A connection reset, closed socket or timeout is retried with backoff; a caller's abort or a bug is not. */
export function retryAfterNetworkError(
  policy: RetryPolicy,
  clock: Clock,
  error: unknown,
  attempt: number,
  startedAt: number,
): RetryDecision {
  if (!isRetryableNetworkError(error)) return { retryable: false };
  return { retryable: true, retryDelayMs: nextRetryDelayMs(policy, attempt, clock.now() - startedAt) };
}

/** A 429 or 5xx answer is retried with backoff, waiting at least its `Retry-After`; any other status is final. */
export function retryAfterStatus(
  policy: RetryPolicy,
  clock: Clock,
  status: number,
  retryAfterHeader: string | string[] | undefined,
  attempt: number,
  startedAt: number,
): RetryDecision {
  if (!isRetryableStatus(status)) return { retryable: false };
  const retryAfter = parseRetryAfterMs(retryAfterHeader, clock.now());
  return { retryable: true, retryDelayMs: nextRetryDelayMs(policy, attempt, clock.now() - startedAt, retryAfter) };
}
