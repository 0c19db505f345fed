import { createHash } from 'node:crypto';
import { KnowBe4BudgetExhaustedError, KnowBe4PacingTimeoutError } from '../errors';
import { Clock, systemClock } from '../http/clock';
import type { AcquireOptions, Pacer, PacerRegistry, PacingLane, WorkSlot } from './pacer';
import { DAILY_BASE_BUDGET, dailyWindowMs, PacingProfile, RatePacerOptions, RateWindow, windowsForProfile } from './rate-pacer';

/** One request for a slot *now* to a budget store; all times are epoch milliseconds of the caller's clock. */
export interface BudgetTakeRequest {
  /** sha256 of region and secret (see `budgetKeyFor`); never the secret itself. */
  budgetKey: string;
  /** Rolling windows every taken slot must respect, together with every other holder of the budget. */
  windows: RateWindow[];
  /** Requests allowed per daily window; undefined = no daily budget. */
  dailyLimit?: number;
  /** A daily window opens with its first request and lasts this long (KnowBe4: about 24 h). */
  dailyWindowMs: number;
  now: number;
  lane: PacingLane;
  /**
   * Share (0 ≤ s < 1) of the daily budget the interactive lane always leaves to syncs, and of every rolling window
   * while a sync has asked for a slot within `syncActiveMs`.
   */
  syncReservedShare: number;
  syncActiveMs: number;
}

export type BudgetDecision =
  /** A slot at `now` is taken: send the request. */
  | { kind: 'taken'; at: number }
  /** Nothing taken; the lane's next slot opens at `at` (> now). */
  | { kind: 'wait'; at: number }
  /** The (lane's share of the) daily budget is spent until `resumeAt`. */
  | { kind: 'exhausted'; resumeAt: number; dailyLimit: number };

export interface BudgetGiveBack {
  budgetKey: string;
  lane: PacingLane;
  /** The `at` of the taken slot no request was sent for. */
  at: number;
}

/**
 * Where a shared budget lives (Postgres in the apps: `RateBudgetRepository` in libs/persistence). A take must be
 * atomic across every process that uses the same store. Slots are only ever taken when due, never ahead, so a
 * caller that goes away while waiting holds nothing.
 */
export interface RateBudgetStore {
  take(request: BudgetTakeRequest): Promise<BudgetDecision>;
  /** Returns a slot taken for a caller that left before it could be used: the daily count goes back down. */
  giveBack(slot: BudgetGiveBack): Promise<void>;
}

/** The store key of an account's budget: a hash of region and secret, so the key never leaves the process. */
export function budgetKeyFor(region: string, secret: string): string {
  return createHash('sha256').update('kb4-rate-budget\0').update(region).update('\0').update(secret).digest('hex');
}

/**
 * The earliest slot the rolling windows allow after the slots already taken (ascending), the same rule
 * `RatePacer` applies in memory; pure so a store can compute it under its lock.
 */
export function earliestSlot(takenAscending: readonly number[], windows: readonly RateWindow[], now: number): number {
  let at = now;
  const count = takenAscending.length;
  if (count > 0) at = Math.max(at, takenAscending[count - 1]);
  for (const window of windows) {
    if (count >= window.limit) at = Math.max(at, takenAscending[count - window.limit] + window.windowMs);
  }
  return at;
}

/** The interactive lane's own limits: each window and the daily budget minus the share kept for syncs (at least 1). */
export function interactiveLimit(limit: number, syncReservedShare: number): number {
  return Math.max(1, Math.floor(limit * (1 - syncReservedShare)));
}

/** A sync that asked for a slot this recently still counts as running (it asks again for its next page within this). */
export const SYNC_ACTIVE_MS = 10_000;
/** Default share of the account's limits a running sync keeps from interactive callers. */
export const DEFAULT_SYNC_RESERVED_SHARE = 0.5;

export interface SharedRatePacerOptions extends Omit<RatePacerOptions, 'clock'> {
  store: RateBudgetStore;
  budgetKey: string;
  clock?: Clock;
  syncReservedShare?: number;
}

interface Waiter {
  holder: string;
  lane: PacingLane;
  signal?: AbortSignal;
  workSlot?: WorkSlot;
  /** The waiter gave its work slot back while the pump sleeps. */
  away: boolean;
  grant(): void;
  fail(error: unknown): void;
}

/**
 * Waiters of one account in one process: per lane (sync before interactive), per holder a FIFO, holders served
 * round-robin — so one workspace's flood queues behind itself, not in front of another workspace's request.
 */
class FairQueue {
  private readonly lanes: Record<PacingLane, Map<string, Waiter[]>> = { sync: new Map(), interactive: new Map() };
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(waiter: Waiter): void {
    const holders = this.lanes[waiter.lane];
    const queue = holders.get(waiter.holder);
    if (queue) queue.push(waiter);
    else holders.set(waiter.holder, [waiter]);
    this.count += 1;
  }

  remove(waiter: Waiter): boolean {
    const holders = this.lanes[waiter.lane];
    const queue = holders.get(waiter.holder);
    const index = queue?.indexOf(waiter) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) holders.delete(waiter.holder);
    this.count -= 1;
    return true;
  }

  /** The lane whose turn it is (sync first). */
  nextLane(): PacingLane | undefined {
    if (this.lanes.sync.size > 0) return 'sync';
    if (this.lanes.interactive.size > 0) return 'interactive';
    return undefined;
  }

  /** The waiter `shift(lane)` would take next. */
  peek(lane: PacingLane): Waiter | undefined {
    const first = this.lanes[lane].values().next();
    return first.done ? undefined : first.value[0];
  }

  /** Every waiter, of both lanes. */
  all(): Waiter[] {
    return [...this.lanes.sync.values(), ...this.lanes.interactive.values()].flat();
  }

  /** Takes the next waiter of a lane: the first of the holder whose turn it is; that holder moves to the back. */
  shift(lane: PacingLane): Waiter | undefined {
    const holders = this.lanes[lane];
    const first = holders.entries().next();
    if (first.done) return undefined;
    const [holder, queue] = first.value;
    const waiter = queue.shift()!;
    holders.delete(holder);
    if (queue.length > 0) holders.set(holder, queue);
    this.count -= 1;
    return waiter;
  }

  /** Removes and returns every waiter of a lane. */
  drain(lane: PacingLane): Waiter[] {
    const waiters = [...this.lanes[lane].values()].flat();
    this.lanes[lane].clear();
    this.count -= waiters.length;
    return waiters;
  }

  /** How many waiters of a lane are queued (for the retry-after estimate). */
  sizeOf(lane: PacingLane): number {
    let n = 0;
    for (const queue of this.lanes[lane].values()) n += queue.length;
    return n;
  }
}

/**
 * Paces an account against a budget shared by every process that reaches the same store (gateway proxy and
 * read-through, poller). Callers wait in a fair queue in this process; one pump asks the store for a slot *now*
 * for the waiter whose turn it is and, when the store says "not before t", sleeps until t. Nothing is reserved
 * ahead, so an aborted or timed-out waiter simply leaves the queue and never spends budget.
 */
export class SharedRatePacer implements Pacer {
  readonly profile: PacingProfile;
  readonly budgetKey: string;
  private readonly windows: RateWindow[];
  private readonly store: RateBudgetStore;
  private readonly clock: Clock;
  private readonly syncReservedShare: number;
  private readonly dayMs: number;
  /** How long a sync counts as running after its last ask: compressed with the windows it protects. */
  private readonly syncActiveMs: number;
  private dailyLimit?: number;
  private readonly queue = new FairQueue();
  private pumping = false;
  /** The pump waits for a waiter's work slot: a newcomer gives its own back at once (it may hold that very slot). */
  private takingBack = false;
  private wake?: AbortController;
  /** When the store last said the next slot opens (for retry-after estimates). */
  private nextSlotAt = 0;

  constructor(options: SharedRatePacerOptions) {
    this.profile = options.profile ?? 'documented';
    this.windows = windowsForProfile(this.profile, options.timeScale);
    this.dayMs = dailyWindowMs(options.timeScale);
    this.syncActiveMs = SYNC_ACTIVE_MS / (options.timeScale ?? 1);
    this.store = options.store;
    this.budgetKey = options.budgetKey;
    this.clock = options.clock ?? systemClock;
    const share = options.syncReservedShare ?? DEFAULT_SYNC_RESERVED_SHARE;
    if (!(share >= 0 && share < 1)) throw new RangeError('syncReservedShare must be at least 0 and below 1');
    this.syncReservedShare = share;
    if (this.profile === 'documented') {
      this.dailyLimit = options.dailyLimit ?? DAILY_BASE_BUDGET + Math.max(0, options.licensedUsers ?? 0);
    }
  }

  setLicensedUsers(licensedUsers: number): void {
    if (this.profile === 'documented') this.dailyLimit = DAILY_BASE_BUDGET + Math.max(0, licensedUsers);
  }

  /** Callers waiting for a slot in this process right now. */
  get waiting(): number {
    return this.queue.size;
  }

  acquire(options: AcquireOptions = {}): Promise<void> | undefined {
    if (this.profile === 'off') return undefined;
    const { signal, maxWaitMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const lane = options.lane ?? 'interactive';
    const { workSlot } = options;
    const granted = new Promise<void>((resolve, reject) => {
      const giveUp = new AbortController();
      const settle = (error?: Error): void => {
        giveUp.abort();
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const leave = (error: Error): void => {
        if (!this.queue.remove(waiter)) return;
        if (this.queue.size === 0) this.wake?.abort();
        settle(error);
      };
      // the caller's own abort reason comes back, as from any aborted fetch
      const onAbort = (): void => leave((signal?.reason as Error | undefined) ?? new Error('aborted'));
      const waiter: Waiter = {
        holder: options.holder ?? '',
        lane,
        signal,
        workSlot,
        away: false,
        grant: () => settle(),
        fail: (error) => settle(error instanceof Error ? error : new Error(String(error))),
      };
      this.queue.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (maxWaitMs !== undefined) {
        this.clock.sleep(maxWaitMs, giveUp.signal).then(
          () => leave(new KnowBe4PacingTimeoutError({ retryAfterMs: this.retryAfterEstimate(lane), waitedMs: maxWaitMs })),
          () => undefined,
        );
      }
      if (this.takingBack) this.giveBackWorkSlots();
      // a sync waiter may go before the interactive slot the pump is sleeping for
      if (lane === 'sync') this.wake?.abort();
      void this.pump();
    });
    if (!workSlot) return granted;
    // however the wait ends (its own abort aside), the caller holds its work slot again; the pump normally took it
    // back before the slot was taken, this only covers a waiter granted a slot taken for another that left
    return granted.then(
      () => workSlot.takeBack(signal),
      async (error: unknown) => {
        if (!signal?.aborted) await workSlot.takeBack(signal).catch(() => undefined);
        throw error;
      },
    );
  }

  /** When the queue ahead of a newcomer of this lane would have drained: the next open slot plus one spacing each. */
  private retryAfterEstimate(lane: PacingLane): number {
    const spacing = Math.max(
      0,
      ...this.windows.map((w) => w.windowMs / (lane === 'sync' ? w.limit : interactiveLimit(w.limit, this.syncReservedShare))),
    );
    const ahead = this.queue.sizeOf(lane) + (lane === 'interactive' ? this.queue.sizeOf('sync') : 0);
    return Math.max(0, this.nextSlotAt - this.clock.now()) + ahead * spacing;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let lane = this.queue.nextLane(); lane; lane = this.queue.nextLane()) {
        const next = this.queue.peek(lane);
        if (next?.away) {
          // the waiter whose turn it is holds its work slot again before a slot is taken for it, so it is sent on time;
          // the others wait meanwhile, so their slots go back first (one may hold the very slot it needs)
          this.giveBackWorkSlots();
          this.takingBack = true;
          await this.takeBack(next);
          this.takingBack = false;
          continue;
        }
        let decision: BudgetDecision;
        try {
          decision = await this.store.take({
            budgetKey: this.budgetKey,
            windows: this.windows,
            dailyLimit: this.dailyLimit,
            dailyWindowMs: this.dayMs,
            now: this.clock.now(),
            lane,
            syncReservedShare: this.syncReservedShare,
            syncActiveMs: this.syncActiveMs,
          });
        } catch (error) {
          // the store is unreachable: nobody of this lane can be paced, so nobody waits for it
          for (const waiter of this.queue.drain(lane)) waiter.fail(error);
          continue;
        }
        if (decision.kind === 'taken') {
          // the waiter it was taken for may have left meanwhile; then the next one of the lane gets it
          const waiter = this.queue.shift(lane);
          if (waiter) waiter.grant();
          else await this.store.giveBack({ budgetKey: this.budgetKey, lane, at: decision.at }).catch(() => undefined);
          continue;
        }
        if (decision.kind === 'exhausted') {
          const error = new KnowBe4BudgetExhaustedError({ resumeAt: new Date(decision.resumeAt), dailyLimit: decision.dailyLimit });
          for (const waiter of this.queue.drain(lane)) waiter.fail(error);
          continue;
        }
        this.nextSlotAt = decision.at;
        if (this.queue.size === 0) break;
        // nobody here sends anything before `at`: waiters that hold a work slot give it back meanwhile
        this.giveBackWorkSlots();
        const wake = new AbortController();
        this.wake = wake;
        await this.clock.sleep(Math.max(1, decision.at - this.clock.now()), wake.signal).catch(() => undefined);
        this.wake = undefined;
      }
    } finally {
      this.pumping = false;
    }
  }

  private giveBackWorkSlots(): void {
    for (const waiter of this.queue.all()) {
      if (!waiter.workSlot || waiter.away) continue;
      waiter.away = true;
      waiter.workSlot.giveBack();
    }
  }

  private async takeBack(waiter: Waiter): Promise<void> {
    try {
      await waiter.workSlot?.takeBack(waiter.signal);
      waiter.away = false;
    } catch (error) {
      // its abort already took it out of the queue; anything else fails it, so the pump never spins on it
      if (this.queue.remove(waiter)) waiter.fail(error);
    }
  }
}

/**
 * The per-process registry of shared pacers: one `SharedRatePacer` per account and profile, all taking slots in one
 * store. Give it to `ReportingClient` as `pacerRegistry` with a profile name as `pacer`.
 */
export class SharedRatePacerRegistry implements PacerRegistry {
  private readonly pacers = new Map<string, SharedRatePacer>();

  constructor(
    private readonly store: RateBudgetStore,
    private readonly defaults: Omit<RatePacerOptions, 'profile'> & { syncReservedShare?: number } = {},
  ) {}

  pacerFor(region: string, secret: string, options: RatePacerOptions = {}): SharedRatePacer {
    const profile = options.profile ?? 'documented';
    const budgetKey = budgetKeyFor(region, secret);
    const key = `${profile}:${budgetKey}`;
    let pacer = this.pacers.get(key);
    if (!pacer) {
      // the budget lives in the store; only pacers nobody waits on are dropped, so no waiter is orphaned
      if (this.pacers.size >= 10_000) for (const [k, p] of this.pacers) if (p.waiting === 0) this.pacers.delete(k);
      pacer = new SharedRatePacer({ ...this.defaults, ...options, profile, store: this.store, budgetKey });
      this.pacers.set(key, pacer);
    }
    return pacer;
  }
}
