import fc from 'fast-check';
import { seededRandom } from '../clock';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableNetworkError,
  isRetryableStatus,
  nextRetryDelayMs,
  parseRetryAfterMs,
  RetryPolicy,
} from './retry-policy';

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...overrides });

describe('backoff', () => {
  it('stays within full-jitter bounds: 0 <= delay < min(maxDelay, base * 2^(retry-1))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.integer(),
        (retry, baseDelayMs, maxDelayMs, seed) => {
          const p = policy({ baseDelayMs, maxDelayMs, random: seededRandom(seed) });
          const delay = backoffDelayMs(p, retry);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(1, Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))));
        },
      ),
    );
  });

  it('is deterministic for a seeded random', () => {
    const a = [1, 2, 3, 4].map((n) => backoffDelayMs(policy({ random: seededRandom(7) }), n));
    const b = [1, 2, 3, 4].map((n) => backoffDelayMs(policy({ random: seededRandom(7) }), n));
    expect(a).toEqual(b);
  });

  it('stops after maxAttempts attempts', () => {
    const p = policy({ maxAttempts: 3, random: () => 0.5 });
    expect(nextRetryDelayMs(p, 1, 0)).toBeDefined();
    expect(nextRetryDelayMs(p, 2, 0)).toBeDefined();
    expect(nextRetryDelayMs(p, 3, 0)).toBeUndefined();
  });

  it('never schedules a retry that would end after maxElapsedMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 100_000 }), (attempt, elapsed) => {
        const p = policy({ maxAttempts: 100, maxElapsedMs: 60_000, random: seededRandom(attempt * 31 + elapsed) });
        const delay = nextRetryDelayMs(p, attempt, elapsed);
        if (delay !== undefined) expect(elapsed + delay).toBeLessThanOrEqual(60_000);
      }),
    );
  });

  it('waits at least a Retry-After the server sent, or gives up if it is beyond the time budget', () => {
    const p = policy({ random: () => 0 });
    expect(nextRetryDelayMs(p, 1, 0, 2_000)).toBe(2_000);
    expect(nextRetryDelayMs(p, 1, 0, 120_000)).toBeUndefined();
  });
});

describe('what is retried', () => {
  it.each([429, 500, 502, 503, 504])('retries HTTP %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 401, 403, 404, 409, 422])('does not retry HTTP %i', (status) =>
    expect(isRetryableStatus(status)).toBe(false),
  );

  it('retries connection resets, closed sockets and timeouts, but not aborts or programming errors', () => {
    const coded = (code: string): Error => Object.assign(new Error(code), { code });
    expect(isRetryableNetworkError(coded('ECONNRESET'))).toBe(true);
    expect(isRetryableNetworkError(coded('UND_ERR_SOCKET'))).toBe(true);
    expect(isRetryableNetworkError(coded('UND_ERR_HEADERS_TIMEOUT'))).toBe(true);
    expect(isRetryableNetworkError(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(false);
    expect(isRetryableNetworkError(new TypeError('x is not a function'))).toBe(false);
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    const now = Date.UTC(2025, 0, 1);
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  });
});
