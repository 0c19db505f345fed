import { inspect } from 'node:util';
import { KnowBe4BudgetExhaustedError, KnowBe4PacingTimeoutError } from '../errors';
import { FakeClock } from '../testing/http-stub';
import { DAY_MS, RatePacer, RatePacerRegistry } from './rate-pacer';

/** Reserves `count` slots, sleeping on the fake clock as a caller would; returns the send times. */
function sendTimes(pacer: RatePacer, clock: FakeClock, count: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    clock.advance(pacer.reserve());
    times.push(clock.now());
  }
  return times;
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j] < times[i] + windowMs) j++;
    max = Math.max(max, j - i);
  }
  return max;
}

describe('RatePacer', () => {
  it('never lets more than 4 requests into any second nor 50 into any rolling minute (documented profile)', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ profile: 'documented', clock });
    const times = sendTimes(pacer, clock, 120);
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(4);
    expect(maxInAnyWindow(times, 60_000)).toBeLessThanOrEqual(50);
    // The 51st request waits for the first one to leave the rolling minute.
    expect(times[50] - times[0]).toBeGreaterThanOrEqual(60_000);
  });

  it('compresses every window and the daily window by the time scale (TIME_SCALE, fleet benchmarks)', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ profile: 'documented', clock, timeScale: 60, dailyLimit: 100 });
    const times = sendTimes(pacer, clock, 100);
    expect(maxInAnyWindow(times, 1000 / 60)).toBeLessThanOrEqual(4);
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(50);
    expect(times[50] - times[0]).toBeGreaterThanOrEqual(1000);
    expect(() => pacer.reserve()).toThrow(KnowBe4BudgetExhaustedError);
    clock.advance(DAY_MS / 60);
    expect(pacer.reserve()).toBe(0);
  });

  it("gives the caller's work slot back only for a request that has to wait, and holds it again before the request goes", async () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ clock });
    const events: string[] = [];
    const workSlot = {
      giveBack: () => events.push(`given back at ${clock.now()}`),
      takeBack: () => {
        events.push(`taken back at ${clock.now()}`);
        return Promise.resolve();
      },
    };
    for (let i = 0; i < 4; i++) expect(pacer.acquire({ workSlot })).toBeUndefined();
    const start = clock.now();
    await pacer.acquire({ workSlot });
    expect(events).toEqual([`given back at ${start}`, `taken back at ${start + 1000}`]);
  });

  it('lets a burst of 4 through at once, then spaces the 5th by a second', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ clock });
    expect([pacer.reserve(), pacer.reserve(), pacer.reserve(), pacer.reserve()]).toEqual([0, 0, 0, 0]);
    expect(pacer.reserve()).toBe(1000);
  });

  it('spaces concurrent callers too, because each reservation is taken synchronously', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ clock });
    const waits = Array.from({ length: 9 }, () => pacer.reserve());
    expect(waits).toEqual([0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000]);
  });

  it('throws KnowBe4BudgetExhaustedError with resumeAt once the daily budget is spent, and reopens 24h after the first request', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const pacer = new RatePacer({ clock, dailyLimit: 10 });
    sendTimes(pacer, clock, 10);
    let thrown: unknown;
    try {
      pacer.reserve();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KnowBe4BudgetExhaustedError);
    expect((thrown as KnowBe4BudgetExhaustedError).resumeAt.getTime()).toBe(start + DAY_MS);
    expect((thrown as KnowBe4BudgetExhaustedError).insight).toBe('rate_limit_error');
    clock.current = start + DAY_MS;
    expect(() => pacer.reserve()).not.toThrow();
    expect(pacer.snapshot().dailyUsed).toBe(1);
  });

  it('sizes the daily budget as 2,000 plus licensed users and follows licence changes', () => {
    const pacer = new RatePacer({ licensedUsers: 1234, clock: new FakeClock() });
    expect(pacer.snapshot().dailyLimit).toBe(3234);
    pacer.setLicensedUsers(10);
    expect(pacer.snapshot().dailyLimit).toBe(2010);
  });

  it('allows 1,000 per minute in the seed profile and has no daily budget', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ profile: 'seed', clock });
    const times = sendTimes(pacer, clock, 2500);
    expect(maxInAnyWindow(times, 60_000)).toBe(1000);
    expect(pacer.snapshot().dailyLimit).toBeUndefined();
  });

  it('refuses a request whose slot would be further away than maxWaitMs, reserving and charging nothing for it', () => {
    const clock = new FakeClock();
    const pacer = new RatePacer({ profile: 'documented', clock, dailyLimit: 100 });
    for (let i = 0; i < 8; i++) expect(pacer.reserve(1000)).toBeLessThanOrEqual(1000);
    let refused: unknown;
    try {
      pacer.reserve(1000);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(KnowBe4PacingTimeoutError);
    expect((refused as KnowBe4PacingTimeoutError).retryAfterMs).toBe(1000);
    expect(pacer.snapshot().dailyUsed).toBe(8);
    expect(pacer.reserve()).toBe(2000); // the refused one took no slot: the next caller gets the same one
  });

  it('does not pace at all in the off profile', () => {
    const pacer = new RatePacer({ profile: 'off', clock: new FakeClock() });
    for (let i = 0; i < 10_000; i++) expect(pacer.acquire()).toBeUndefined();
  });
});

describe('RatePacerRegistry', () => {
  it('shares one pacer per account and profile, keyed without the key itself', () => {
    const registry = new RatePacerRegistry({ clock: new FakeClock() });
    const a = registry.pacerFor('eu', 'secret-key-1');
    expect(registry.pacerFor('eu', 'secret-key-1')).toBe(a);
    expect(registry.pacerFor('us', 'secret-key-1')).not.toBe(a);
    expect(registry.pacerFor('eu', 'secret-key-2')).not.toBe(a);
    expect(registry.pacerFor('eu', 'secret-key-1', { profile: 'off' })).not.toBe(a);
    expect(inspect(registry, { depth: 5 })).not.toContain('secret-key-1');
  });
});
