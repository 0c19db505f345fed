/** How hard a client tries before giving up: bounded by attempts and by total elapsed time. */
export interface RetryPolicy {
  /** Attempts including the first one. */
  maxAttempts: number;
  /** No retry is started if it would end later than this many ms after the first attempt began. */
  maxElapsedMs: number;
  /** Ceiling of the first backoff; doubles per retry (full jitter picks uniformly below it). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform [0, 1); inject `seededRandom(n)` in tests. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  random: Math.random,
};

export function resolveRetryPolicy(partial?: Partial<RetryPolicy>): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  if (!(policy.maxAttempts >= 1)) throw new RangeError('retry.maxAttempts must be at least 1');
  if (!(policy.maxElapsedMs >= 0) || !(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) {
    throw new RangeError('retry delays must be non-negative');
  }
  return policy;
}

/** What the backoff formula reads; the provisioner's command retries use it with their own base and ceiling. */
export type BackoffPolicy = Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>;

/** Full-jitter exponential backoff: uniform in [0, min(maxDelay, base * 2^(retry-1))). `retry` starts at 1. */
export function backoffDelayMs(policy: BackoffPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(policy.random() * ceiling);
}

/** 429 and every 5xx are transient at KnowBe4 (group risk history is known to 500 now and then). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Transport failures worth another try (connection reset, socket closed, timeouts); never caller aborts. */
export function isRetryableNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isRetryableNetworkError(cause);
}

/** `Retry-After` in seconds or as an HTTP date; KnowBe4 does not document it, but honour it when present. */
export function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * Delay before the next attempt, or undefined when the policy says stop.
 * `attempt` is the number of attempts already made; `elapsedMs` is time since the first one began.
 */
export function nextRetryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  retryAfterMs?: number,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const jittered = backoffDelayMs(policy, attempt);
  const delay = retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs);
  if (elapsedMs + delay > policy.maxElapsedMs) return undefined;
  return delay;
}
