import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows `limit` requests per window per key, refills evenly, and says when to come back', () => {
    let now = 0;
    const buckets = new TokenBuckets(3, 60_000, () => now);
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    const refused = buckets.take('a');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
    expect(refused.resetSeconds).toBe(20);
    expect(buckets.take('b').remaining).toBe(2); // keys are independent
    now = 20_000;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('tells how long a key must wait without taking a token', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 60_000, () => now);
    expect(buckets.waitSeconds('a')).toBe(0);
    buckets.take('a');
    expect(buckets.waitSeconds('a')).toBe(0);
    buckets.take('a');
    expect(buckets.waitSeconds('a')).toBe(30);
    expect(buckets.waitSeconds('a')).toBe(30); // asking consumed nothing
    now = 30_000;
    expect(buckets.waitSeconds('a')).toBe(0);
  });
});
