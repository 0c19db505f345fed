import { KnowBe4BudgetExhaustedError } from '../errors';
import { FakeClock } from '../testing/http-stub';
import { BudgetReservationRequest, budgetKeyFor, earliestSlot, RateBudgetStore, SharedRatePacer } from './shared-rate-pacer';

/** The store contract in memory: slots and a daily window per key (Postgres does the same under a lock). */
class MemoryBudgetStore implements RateBudgetStore {
  readonly requests: BudgetReservationRequest[] = [];
  private readonly slots = new Map<string, number[]>();
  private readonly days = new Map<string, { started: number; used: number }>();

  reserve(request: BudgetReservationRequest): Promise<{ kind: 'slot'; at: number } | { kind: 'exhausted'; resumeAt: number; dailyLimit: number }> {
    this.requests.push(request);
    const { budgetKey, dailyLimit, dailyWindowMs, now } = request;
    let day = this.days.get(budgetKey);
    if (!day || now >= day.started + dailyWindowMs) day = { started: now, used: 0 };
    this.days.set(budgetKey, day);
    if (dailyLimit !== undefined && day.used >= dailyLimit) return Promise.resolve({ kind: 'exhausted', resumeAt: day.started + dailyWindowMs, dailyLimit });
    day.used += 1;
    const taken = this.slots.get(budgetKey) ?? [];
    const at = earliestSlot(taken, request.windows, now);
    this.slots.set(budgetKey, [...taken, at]);
    return Promise.resolve({ kind: 'slot', at });
  }
}

describe('SharedRatePacer', () => {
  it('waits until the slot the store reserved, and turns a spent day into KnowBe4BudgetExhaustedError', async () => {
    const clock = new FakeClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: budgetKeyFor('us', 'k'), clock, dailyLimit: 6 });
    for (let i = 0; i < 6; i++) await pacer.acquire();
    expect(clock.sleeps).toEqual([1000]); // the 5th request waits a second (4/s); the 6th shares its second
    await expect(pacer.acquire()).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
    expect(store.requests[0]).toMatchObject({ windows: [{ limit: 4, windowMs: 1000 }, { limit: 50, windowMs: 60_000 }], dailyLimit: 6 });
  });

  it('asks the store nothing with the off profile, and never sends the secret to it', async () => {
    const store = new MemoryBudgetStore();
    await new SharedRatePacer({ store, budgetKey: budgetKeyFor('us', 'secret'), profile: 'off' }).acquire();
    expect(store.requests).toHaveLength(0);
    expect(budgetKeyFor('us', 'secret')).toMatch(/^[0-9a-f]{64}$/);
    expect(budgetKeyFor('us', 'secret')).not.toBe(budgetKeyFor('eu', 'secret'));
  });

  it('computes the earliest slot from every rolling window at once', () => {
    const windows = [{ limit: 2, windowMs: 1000 }, { limit: 3, windowMs: 10_000 }];
    expect(earliestSlot([], windows, 5)).toBe(5);
    expect(earliestSlot([0], windows, 5)).toBe(5);
    expect(earliestSlot([0, 0], windows, 5)).toBe(1000);
    expect(earliestSlot([0, 0, 1000], windows, 5)).toBe(10_000);
  });
});
