import { SandboxStore } from '../store/sandbox-store';
import { RateLimiter } from './rate-limiter';

describe('rate limiter time scale', () => {
  const tenant = new SandboxStore({ rateLimitProfile: 'documented' }).createTenant({ users: 10, rate_limit_profile: 'documented' });

  it('compresses the one-second and one-minute windows by the time scale', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now, 60);
    const allowed = (): boolean => limiter.take(tenant, 'reporting').allowed;
    for (let i = 0; i < 4; i++) expect(allowed()).toBe(true);
    expect(allowed()).toBe(false); // a fifth within 1/60 s
    now += 17; // a scaled second later
    for (let i = 0; i < 4; i++) expect(allowed()).toBe(true);
    // 50 per scaled minute (1 s real)
    let granted = 8;
    for (now += 17; now < 1_000_990; now += 17) {
      for (let i = 0; i < 4; i++) if (allowed()) granted++;
    }
    expect(granted).toBe(50);
  });

  it('refuses a time scale below 1', () => {
    expect(() => new RateLimiter(Date.now, 0.5)).toThrow(/at least 1/);
  });
});
