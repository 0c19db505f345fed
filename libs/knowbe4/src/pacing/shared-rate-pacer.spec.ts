import { KnowBe4BudgetExhaustedError, KnowBe4PacingTimeoutError } from '../errors';
import type { Clock } from '../http/clock';
import type { AcquireOptions, WorkSlot } from './pacer';
import {
  BudgetDecision,
  BudgetGiveBack,
  BudgetTakeRequest,
  budgetKeyFor,
  earliestSlot,
  interactiveLimit,
  RateBudgetStore,
  SharedRatePacer,
  SYNC_ACTIVE_MS,
} from './shared-rate-pacer';

/** Time that moves only when the test says so; sleepers wake in order of their end. */
class ManualClock implements Clock {
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  constructor(public current = Date.UTC(2025, 0, 1)) {}
  now(): number {
    return this.current;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const sleeper = { at: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal.reason as Error);
      }, { once: true });
    });
  }
  /** Moves time forward by `ms`, waking each sleeper at its own time and letting promises settle in between. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.at);
      due.resolve();
    }
    this.current = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The store contract in memory: slots only when due, a daily window per key (Postgres does the same under a lock). */
class MemoryBudgetStore implements RateBudgetStore {
  readonly requests: BudgetTakeRequest[] = [];
  readonly givenBack: BudgetGiveBack[] = [];
  failing = false;
  private readonly slots = new Map<string, number[]>();
  readonly days = new Map<string, { started: number; used: number }>();

  take(request: BudgetTakeRequest): Promise<BudgetDecision> {
    this.requests.push(request);
    if (this.failing) return Promise.reject(new Error('store unreachable'));
    const { budgetKey, dailyLimit, dailyWindowMs, now } = request;
    let day = this.days.get(budgetKey);
    if (!day || now >= day.started + dailyWindowMs) day = { started: now, used: 0 };
    this.days.set(budgetKey, day);
    if (dailyLimit !== undefined && day.used >= dailyLimit) return Promise.resolve({ kind: 'exhausted', resumeAt: day.started + dailyWindowMs, dailyLimit });
    const taken = this.slots.get(budgetKey) ?? [];
    const at = earliestSlot(taken, request.windows, now);
    if (at > now) return Promise.resolve({ kind: 'wait', at });
    day.used += 1;
    this.slots.set(budgetKey, [...taken, at]);
    return Promise.resolve({ kind: 'taken', at });
  }

  giveBack(slot: BudgetGiveBack): Promise<void> {
    this.givenBack.push(slot);
    return Promise.resolve();
  }
}

/** A caller's work slot that the test hands back by hand (`return()`), recording what the pacer did with it. */
class HandWorkSlot implements WorkSlot {
  readonly events: string[] = [];
  private held = true;
  private pending?: () => void;

  giveBack(): void {
    if (!this.held) return;
    this.held = false;
    this.events.push('given back');
  }

  takeBack(): Promise<void> {
    if (this.held) return Promise.resolve();
    this.events.push('asked back');
    return new Promise<void>((resolve) => {
      this.pending = () => {
        this.held = true;
        this.events.push('held');
        resolve();
      };
    });
  }

  /** The pool hands the slot back to the caller. */
  return(): void {
    this.pending?.();
    this.pending = undefined;
  }
}

type Outcome = { label: string; at: number } | { label: string; error: unknown };

/** Starts one acquire and records when (on the clock) and how it ended. */
function track(outcomes: Outcome[], clock: ManualClock, pacer: SharedRatePacer, label: string, options: AcquireOptions = {}): void {
  const wait = pacer.acquire(options) ?? Promise.resolve();
  wait.then(
    () => outcomes.push({ label, at: clock.now() }),
    (error: unknown) => outcomes.push({ label, error }),
  );
}

const granted = (outcomes: Outcome[]): Array<{ label: string; at: number }> => outcomes.filter((o): o is { label: string; at: number } => 'at' in o);
const refused = (outcomes: Outcome[]): Array<{ label: string; error: unknown }> => outcomes.filter((o): o is { label: string; error: unknown } => 'error' in o);

describe('SharedRatePacer', () => {
  const key = budgetKeyFor('us', 'k');

  it('takes a slot only when it is due: the 5th request of a second waits for the next second', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 100 });
    const outcomes: Outcome[] = [];
    const start = clock.now();
    for (let i = 0; i < 6; i++) track(outcomes, clock, pacer, `r${i}`);
    await clock.advance(0);
    expect(granted(outcomes).map((o) => o.at - start)).toEqual([0, 0, 0, 0]);
    await clock.advance(1000);
    expect(granted(outcomes).map((o) => o.at - start)).toEqual([0, 0, 0, 0, 1000, 1000]);
    expect(store.requests[0]).toMatchObject({ windows: [{ limit: 4, windowMs: 1000 }, { limit: 50, windowMs: 60_000 }], dailyLimit: 100, lane: 'interactive' });
  });

  it('answers a caller that waited maxWaitMs with KnowBe4PacingTimeoutError and a retry-after, and spends nothing for it', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 1000 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 20; i++) track(outcomes, clock, pacer, `r${i}`, { maxWaitMs: 1500 });
    await clock.advance(60_000);
    expect(granted(outcomes)).toHaveLength(8); // now and one second later; the rest would wait past 1.5 s
    const timeouts = refused(outcomes);
    expect(timeouts).toHaveLength(12);
    for (const { error } of timeouts) {
      expect(error).toBeInstanceOf(KnowBe4PacingTimeoutError);
      expect((error as KnowBe4PacingTimeoutError).retryAfterMs).toBeGreaterThan(0);
      expect((error as KnowBe4PacingTimeoutError).insight).toBe('rate_limit_error');
    }
    // only sent requests count against the day, and the queue is empty (nothing left reserved ahead)
    expect(store.days.get(key)?.used).toBe(8);
    expect(pacer.waiting).toBe(0);
  });

  it('gives the place back when the caller aborts: the abort reason comes back and no budget is spent for it', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 1000 });
    const outcomes: Outcome[] = [];
    const controllers = Array.from({ length: 12 }, () => new AbortController());
    controllers.forEach((controller, i) => track(outcomes, clock, pacer, `r${i}`, { signal: controller.signal }));
    await clock.advance(0);
    // the 8 still waiting: every other one goes away
    for (let i = 4; i < 12; i += 2) controllers[i].abort(new Error('client went away'));
    await clock.advance(0);
    expect(refused(outcomes).map((o) => [o.label, (o.error as Error).message])).toEqual([
      ['r4', 'client went away'],
      ['r6', 'client went away'],
      ['r8', 'client went away'],
      ['r10', 'client went away'],
    ]);
    await clock.advance(1000);
    expect(granted(outcomes).map((o) => o.label)).toEqual(['r0', 'r1', 'r2', 'r3', 'r5', 'r7', 'r9', 'r11']);
    expect(store.days.get(key)?.used).toBe(8);
    // an already aborted signal never enters the queue
    const gone = new AbortController();
    gone.abort(new Error('gone'));
    await expect(pacer.acquire({ signal: gone.signal })).rejects.toThrow('gone');
  });

  it("serves holders round-robin: a second workspace's requests are not queued behind the first one's flood", async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 1000 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 30; i++) track(outcomes, clock, pacer, `flood${i}`, { holder: 'workspace-a' });
    await clock.advance(0);
    track(outcomes, clock, pacer, 'b0', { holder: 'workspace-b' });
    track(outcomes, clock, pacer, 'b1', { holder: 'workspace-b' });
    await clock.advance(2000);
    const order = granted(outcomes).map((o) => o.label);
    // 4 of the flood went at once; then b and the flood take turns
    expect(order.slice(0, 8)).toEqual(['flood0', 'flood1', 'flood2', 'flood3', 'flood4', 'b0', 'flood5', 'b1']);
  });

  it('serves waiting syncs before interactive callers of the same process', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 1000 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 8; i++) track(outcomes, clock, pacer, `proxy${i}`, { holder: 'w' });
    await clock.advance(0);
    track(outcomes, clock, pacer, 'sync0', { lane: 'sync', holder: 'account' });
    await clock.advance(1000);
    expect(granted(outcomes).map((o) => o.label)[4]).toBe('sync0');
  });

  it("gives the caller's work slot back while its request waits, and asks for it back before the request's slot is taken", async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 100 });
    const slot = new HandWorkSlot();
    const outcomes: Outcome[] = [];
    const start = clock.now();
    for (let i = 0; i < 4; i++) track(outcomes, clock, pacer, `r${i}`, { lane: 'sync', workSlot: slot });
    await clock.advance(0);
    // requests that may go at once keep the slot
    expect(granted(outcomes)).toHaveLength(4);
    expect(slot.events).toEqual([]);

    track(outcomes, clock, pacer, 'r4', { lane: 'sync', workSlot: slot });
    await clock.advance(0);
    expect(slot.events).toEqual(['given back']);
    await clock.advance(1000);
    // its slot is due, but no slot is taken while the caller has no work slot to send it with
    const asked = store.requests.length;
    expect(slot.events).toEqual(['given back', 'asked back']);
    expect(granted(outcomes)).toHaveLength(4);
    await clock.advance(500);
    expect(store.requests.length).toBe(asked);

    slot.return();
    await clock.advance(0);
    expect(slot.events).toEqual(['given back', 'asked back', 'held']);
    expect(granted(outcomes).map((o) => [o.label, o.at - start])).toContainEqual(['r4', 1500]);
    expect(store.days.get(key)?.used).toBe(5);
  });

  it('never deadlocks two callers of one budget on one work slot: a newcomer holding the slot gives it back while the one whose turn it is takes it', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 100 });
    // one slot between two runs of accounts that share a key: a run holds it unless it waits
    let holder: string | undefined = 'x';
    const queued: Array<{ name: string; resolve: () => void }> = [];
    const slotOf = (name: string): WorkSlot => ({
      giveBack: () => {
        if (holder !== name) return;
        const next = queued.shift();
        holder = next?.name;
        next?.resolve();
      },
      takeBack: () => {
        if (holder === name) return Promise.resolve();
        if (holder === undefined) {
          holder = name;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => queued.push({ name, resolve }));
      },
    });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 5; i++) track(outcomes, clock, pacer, `x${i}`, { lane: 'sync', holder: 'x', workSlot: slotOf('x') });
    await clock.advance(0);
    expect(holder).toBeUndefined(); // x4 waits: x gave the slot back
    holder = 'y'; // y's run started on it and asks while the pump is asleep
    await clock.advance(1000);
    track(outcomes, clock, pacer, 'y0', { lane: 'sync', holder: 'y', workSlot: slotOf('y') });
    await clock.advance(1000);
    expect(granted(outcomes).map((o) => o.label)).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
    // x4 went holding the slot; y0 waits for x to give it back (x works, then waits or ends)
    slotOf('x').giveBack();
    await clock.advance(0);
    expect(granted(outcomes).map((o) => o.label)).toContain('y0');
  });

  it('holds the work slot again when a wait ends in an error other than its abort (the caller goes on working)', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 5 });
    const slot = new HandWorkSlot();
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 6; i++) track(outcomes, clock, pacer, `r${i}`, { lane: 'sync', workSlot: slot });
    await clock.advance(1000);
    expect(slot.events).toEqual(['given back', 'asked back']);
    slot.return();
    await clock.advance(0);
    expect(granted(outcomes)).toHaveLength(5);
    await clock.advance(1000);
    expect(refused(outcomes).map((o) => o.error)).toEqual([expect.any(KnowBe4BudgetExhaustedError)]);
    expect(slot.events.at(-1)).toBe('held');
  });

  it('refuses every waiter of the lane with KnowBe4BudgetExhaustedError when the day is spent', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock, dailyLimit: 6 });
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 9; i++) track(outcomes, clock, pacer, `r${i}`);
    await clock.advance(2000);
    expect(granted(outcomes)).toHaveLength(6);
    expect(refused(outcomes).map((o) => o.error)).toEqual([expect.any(KnowBe4BudgetExhaustedError), expect.any(KnowBe4BudgetExhaustedError), expect.any(KnowBe4BudgetExhaustedError)]);
  });

  it('fails the waiters instead of hanging when the store cannot be reached', async () => {
    const clock = new ManualClock();
    const store = new MemoryBudgetStore();
    store.failing = true;
    const pacer = new SharedRatePacer({ store, budgetKey: key, clock });
    await expect(pacer.acquire()).rejects.toThrow('store unreachable');
    expect(pacer.waiting).toBe(0);
  });

  it("compresses a sync's running period with the windows under TIME_SCALE, as the poller and the gateway both do", async () => {
    const store = new MemoryBudgetStore();
    await new SharedRatePacer({ store, budgetKey: key, clock: new ManualClock(), dailyLimit: 100, timeScale: 5 }).acquire({ lane: 'sync' });
    expect(store.requests[0]).toMatchObject({ windows: [{ limit: 4, windowMs: 200 }, { limit: 50, windowMs: 12_000 }], syncActiveMs: SYNC_ACTIVE_MS / 5 });
  });

  it('asks the store nothing with the off profile, and never sends the secret to it', async () => {
    const store = new MemoryBudgetStore();
    await new SharedRatePacer({ store, budgetKey: budgetKeyFor('us', 'secret'), profile: 'off' }).acquire();
    expect(store.requests).toHaveLength(0);
    expect(budgetKeyFor('us', 'secret')).toMatch(/^[0-9a-f]{64}$/);
    expect(budgetKeyFor('us', 'secret')).not.toBe(budgetKeyFor('eu', 'secret'));
  });

  it('computes the earliest slot from every rolling window at once, and the interactive share of a limit', () => {
    const windows = [{ limit: 2, windowMs: 1000 }, { limit: 3, windowMs: 10_000 }];
    expect(earliestSlot([], windows, 5)).toBe(5);
    expect(earliestSlot([0], windows, 5)).toBe(5);
    expect(earliestSlot([0, 0], windows, 5)).toBe(1000);
    expect(earliestSlot([0, 0, 1000], windows, 5)).toBe(10_000);
    expect([interactiveLimit(4, 0.5), interactiveLimit(50, 0.5), interactiveLimit(2000, 0.25), interactiveLimit(1, 0.9)]).toEqual([2, 25, 1500, 1]);
  });
});
