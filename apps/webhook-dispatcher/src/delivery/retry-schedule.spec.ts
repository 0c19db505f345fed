import { afterAttempt, isDelivered, parseRetrySchedule, retryHorizonSeconds } from './retry-schedule';

describe('webhook retry schedule', () => {
  const standard = parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h');

  it('reads Standard Webhooks\' recommended schedule: 8 attempts over more than 24 hours', () => {
    expect(standard).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(standard.length + 1).toBe(8);
    expect(retryHorizonSeconds(standard)).toBeGreaterThanOrEqual(24 * 3600);
  });

  it('accepts plain seconds, fractions and spaces, and refuses anything else', () => {
    expect(parseRetrySchedule('1, 2 ,0.5s')).toEqual([1, 2, 0.5]);
    expect(() => parseRetrySchedule('5x')).toThrow();
    expect(() => parseRetrySchedule('')).toThrow();
    expect(() => parseRetrySchedule('5s,,5s')).toThrow();
  });

  it('waits the next step after each failure and gives up after the last', () => {
    expect(afterAttempt(standard, 1, 500)).toEqual({ kind: 'retry', delaySeconds: 5 });
    expect(afterAttempt(standard, 2, null)).toEqual({ kind: 'retry', delaySeconds: 300 });
    expect(afterAttempt(standard, 7, 404)).toEqual({ kind: 'retry', delaySeconds: 36000 });
    expect(afterAttempt(standard, 8, 503)).toEqual({ kind: 'given_up' });
    expect(afterAttempt([], 1, 500)).toEqual({ kind: 'given_up' });
  });

  it('counts any 2xx as delivered, and a redirect as a failure (never followed)', () => {
    expect([200, 201, 202, 204, 299].every(isDelivered)).toBe(true);
    expect([null, 199, 301, 302, 307, 400, 410, 500].some(isDelivered)).toBe(false);
    expect(afterAttempt(standard, 8, 204)).toEqual({ kind: 'succeeded' });
  });
});
