import { createHash } from 'node:crypto';
import { KnowBe4BudgetExhaustedError } from '../errors';
import { Clock, systemClock } from '../http/clock';
import type { Pacer, PacerRegistry } from './pacer';
import { DAY_MS, DAILY_BASE_BUDGET, PacingProfile, RatePacerOptions, RateWindow, windowsForProfile } from './rate-pacer';

/** One reservation request to a budget store; all times are epoch milliseconds of the caller's clock. */
export interface BudgetReservationRequest {
  /** sha256 of region and secret (see `budgetKeyFor`); never the secret itself. */
  budgetKey: string;
  /** Rolling windows every reserved slot must respect, together with every other holder of the budget. */
  windows: RateWindow[];
  /** Requests allowed per daily window; undefined = no daily budget. */
  dailyLimit?: number;
  /** A daily window opens with its first request and lasts this long (KnowBe4: about 24 h). */
  dailyWindowMs: number;
  now: number;
}

export type BudgetReservation =
  /** The request may be sent at `at` (≥ now); the slot is already taken. */
  | { kind: 'slot'; at: number }
  /** The daily budget is spent until `resumeAt`. */
  | { kind: 'exhausted'; resumeAt: number; dailyLimit: number };

/**
 * Where a shared budget lives (Postgres in the apps: `RateBudgetRepository` in libs/persistence). A reservation
 * must be atomic across every process that uses the same store.
 */
export interface RateBudgetStore {
  reserve(request: BudgetReservationRequest): Promise<BudgetReservation>;
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

export interface SharedRatePacerOptions extends Omit<RatePacerOptions, 'clock'> {
  store: RateBudgetStore;
  budgetKey: string;
  clock?: Clock;
}

/**
 * Paces an account against a budget shared by every process that reaches the same store (gateway proxy and
 * read-through, poller): each acquire() reserves a slot in the store, then waits for it.
 */
export class SharedRatePacer implements Pacer {
  readonly profile: PacingProfile;
  readonly budgetKey: string;
  private readonly windows: RateWindow[];
  private readonly store: RateBudgetStore;
  private readonly clock: Clock;
  private dailyLimit?: number;

  constructor(options: SharedRatePacerOptions) {
    this.profile = options.profile ?? 'documented';
    this.windows = windowsForProfile(this.profile);
    this.store = options.store;
    this.budgetKey = options.budgetKey;
    this.clock = options.clock ?? systemClock;
    if (this.profile === 'documented') {
      this.dailyLimit = options.dailyLimit ?? DAILY_BASE_BUDGET + Math.max(0, options.licensedUsers ?? 0);
    }
  }

  setLicensedUsers(licensedUsers: number): void {
    if (this.profile === 'documented') this.dailyLimit = DAILY_BASE_BUDGET + Math.max(0, licensedUsers);
  }

  /** Reserves the next shared slot; returns the milliseconds to wait (0 = go now). Throws when the day is spent. */
  async reserve(): Promise<number> {
    if (this.profile === 'off') return 0;
    const now = this.clock.now();
    const reservation = await this.store.reserve({
      budgetKey: this.budgetKey,
      windows: this.windows,
      dailyLimit: this.dailyLimit,
      dailyWindowMs: DAY_MS,
      now,
    });
    if (reservation.kind === 'exhausted') {
      throw new KnowBe4BudgetExhaustedError({ resumeAt: new Date(reservation.resumeAt), dailyLimit: reservation.dailyLimit });
    }
    return Math.max(0, reservation.at - now);
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    const wait = await this.reserve();
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}

/**
 * The per-process registry of shared pacers: one `SharedRatePacer` per account and profile, all reserving in one
 * store. Give it to `ReportingClient` as `pacerRegistry` with a profile name as `pacer`.
 */
export class SharedRatePacerRegistry implements PacerRegistry {
  private readonly pacers = new Map<string, SharedRatePacer>();

  constructor(
    private readonly store: RateBudgetStore,
    private readonly defaults: Omit<RatePacerOptions, 'profile'> = {},
  ) {}

  pacerFor(region: string, secret: string, options: RatePacerOptions = {}): SharedRatePacer {
    const profile = options.profile ?? 'documented';
    const budgetKey = budgetKeyFor(region, secret);
    const key = `${profile}:${budgetKey}`;
    let pacer = this.pacers.get(key);
    if (!pacer) {
      if (this.pacers.size >= 10_000) this.pacers.clear(); // the budget lives in the store; a new pacer loses nothing
      pacer = new SharedRatePacer({ ...this.defaults, ...options, profile, store: this.store, budgetKey });
      this.pacers.set(key, pacer);
    }
    return pacer;
  }
}
