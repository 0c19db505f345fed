import { KnowBe4BudgetExhaustedError, KnowBe4PacingTimeoutError, KnowBe4RateLimitError, KnowBe4UpstreamError } from '@kb4/knowbe4';
import { pacingRefusal, toRemoteApiError } from './remote-errors';

describe('KnowBe4 failures in the error shape', () => {
  it('answers a pacing timeout 429 with retry-after and rate_limit_error, not marked as a KnowBe4 error', () => {
    const error = toRemoteApiError(new KnowBe4PacingTimeoutError({ retryAfterMs: 4200, waitedMs: 10_000 }), 'proxy');
    expect(error.statusCode).toBe(429);
    expect(error.remote).toBeUndefined();
    expect(error.options).toEqual({ insight: 'rate_limit_error', headers: { 'retry-after': '5' } });
  });

  it('answers a spent daily budget 429 with the seconds until its window ends, not marked as a KnowBe4 error', () => {
    const now = Date.UTC(2025, 0, 1, 12);
    const spent = new KnowBe4BudgetExhaustedError({ resumeAt: new Date(now + 90_500), dailyLimit: 2000 });
    const error = pacingRefusal(spent, now);
    expect(error.statusCode).toBe(429);
    expect(error.remote).toBeUndefined();
    expect(error.message).toContain('2000');
    expect(error.options).toEqual({ insight: 'rate_limit_error', headers: { 'retry-after': '91' } });
  });

  it('never tells a caller to retry in less than a second', () => {
    expect(pacingRefusal(new KnowBe4PacingTimeoutError({ retryAfterMs: 0, waitedMs: 100 })).options.headers).toEqual({ 'retry-after': '1' });
  });

  it("keeps KnowBe4's own 429 and 5xx remote errors, with raw_response", () => {
    const limited = toRemoteApiError(new KnowBe4RateLimitError({ status: 429, body: { message: 'slow down' } }), 'proxy');
    expect(limited.statusCode).toBe(429);
    expect(limited.remote).toEqual({ status: 429, body: { message: 'slow down' }, insight: 'rate_limit_error' });
    expect(toRemoteApiError(new KnowBe4UpstreamError({ status: 503 }), 'proxy')).toMatchObject({ statusCode: 502, remote: { status: 503, insight: 'remote_error' } });
  });
});
