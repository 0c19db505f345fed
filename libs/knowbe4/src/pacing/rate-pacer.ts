import { createHash } from 'node:crypto';
import { KnowBe4BudgetExhaustedError, KnowBe4PacingTimeoutError } from '../errors';
import { Clock, systemClock } from '../http/clock';
import type { AcquireOptions, Pacer, PacerRegistry } from './pacer';

/**
 * `documented`: KnowBe4's published per-account limits (4/s, 50 per rolling minute, daily budget).
 * `seed`: the integration guide's 1,000 per minute per key. `off`: no pacing (benchmarks, sandbox without limits).
 */
export type PacingProfile = 'documented' | 'seed' | 'off';

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface RatePacerOptions {
  profile?: PacingProfile;
  /** Licensed users of the account; the daily budget is 2,000 plus this. */
  licensedUsers?: number;
  /** Overrides the daily budget computed from `licensedUsers` (documented profile only). */
  dailyLimit?: number;
  clock?: Clock;
  /**
   * Compresses every window and the daily window by this factor (fleet benchmarks: `TIME_SCALE`, shared with the
   * sandbox's rate limiter). 1 (default) is KnowBe4's real time.
   */
  timeScale?: number;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
export const DAILY_BASE_BUDGET = 2000;

/** The profile's rolling windows, each `windowMs` divided by `timeScale` (1 = real time). */
export function windowsForProfile(profile: PacingProfile, timeScale = 1): RateWindow[] {
  return baseWindows(profile).map((w) => ({ limit: w.limit, windowMs: w.windowMs / timeScale }));
}

/** KnowBe4's daily window, divided by `timeScale`. */
export const dailyWindowMs = (timeScale = 1): number => DAY_MS / timeScale;

function baseWindows(profile: PacingProfile): RateWindow[] {
  switch (profile) {
    case 'documented':
      return [
        { limit: 4, windowMs: 1000 },
        { limit: 50, windowMs: 60_000 },
      ];
    case 'seed':
      return [{ limit: 1000, windowMs: 60_000 }];
    case 'off':
      return [];
  }
}

export interface RatePacerSnapshot {
  profile: PacingProfile;
  dailyLimit?: number;
  dailyUsed: number;
  dailyWindowStartedAt?: Date;
  dailyWindowResetsAt?: Date;
}

/**
 * Paces one KnowBe4 account to its limits. Each `acquire()` reserves the earliest slot allowed by every rolling
 * window at once (no queue needed: reservations are made synchronously in order), then waits for it.
 */
export class RatePacer implements Pacer {
  readonly profile: PacingProfile;
  private readonly windows: RateWindow[];
  private readonly clock: Clock;
  // Ring buffer of reserved slot times, non-decreasing; sized to the largest window limit.
  private readonly slots: number[];
  private slotCount = 0;
  private slotHead = 0;
  private dailyLimitValue?: number;
  private dailyUsed = 0;
  private dailyWindowStart?: number;
  private readonly dayMs: number;

  constructor(options: RatePacerOptions = {}) {
    this.profile = options.profile ?? 'documented';
    this.windows = windowsForProfile(this.profile, options.timeScale);
    this.dayMs = dailyWindowMs(options.timeScale);
    this.clock = options.clock ?? systemClock;
    this.slots = new Array<number>(Math.max(0, ...this.windows.map((w) => w.limit)));
    if (this.profile === 'documented') {
      this.dailyLimitValue = options.dailyLimit ?? DAILY_BASE_BUDGET + Math.max(0, options.licensedUsers ?? 0);
    }
  }

  /** The daily budget grows with the licence count, which is only known after GET /account. */
  setLicensedUsers(licensedUsers: number): void {
    if (this.profile === 'documented') this.dailyLimitValue = DAILY_BASE_BUDGET + Math.max(0, licensedUsers);
  }

  /**
   * Milliseconds to wait before the request may be sent, with the slot already reserved.
   * Throws KnowBe4BudgetExhaustedError when the daily budget is spent, and KnowBe4PacingTimeoutError (reserving
   * and charging nothing) when the wait would exceed `maxWaitMs`.
   */
  reserve(maxWaitMs?: number): number {
    if (this.profile === 'off') return 0;
    const now = this.clock.now();
    this.openDailyWindow(now);
    let at = now;
    if (this.slotCount > 0) at = Math.max(at, this.slotAt(this.slotCount - 1));
    for (const window of this.windows) {
      if (this.slotCount >= window.limit) {
        at = Math.max(at, this.slotAt(this.slotCount - window.limit) + window.windowMs);
      }
    }
    if (maxWaitMs !== undefined && at - now > maxWaitMs) {
      throw new KnowBe4PacingTimeoutError({ retryAfterMs: at - now - maxWaitMs, waitedMs: 0 });
    }
    if (this.dailyLimitValue !== undefined) this.dailyUsed += 1;
    this.pushSlot(at);
    return at - now;
  }

  /**
   * Waits for a reserved slot; resolves synchronously-fast (undefined) when no wait is needed. This in-process pacer
   * reserves ahead, so an aborted wait keeps its slot (the apps use SharedRatePacer, which takes slots only when due).
   */
  acquire(options: AcquireOptions = {}): Promise<void> | undefined {
    const wait = this.reserve(options.maxWaitMs);
    if (wait <= 0) return undefined;
    const { signal, workSlot } = options;
    if (!workSlot) return this.clock.sleep(wait, signal);
    // the slot is reserved ahead here, so taking the work slot back can only follow the sleep (it may send late, never early)
    workSlot.giveBack();
    return this.clock.sleep(wait, signal).then(() => workSlot.takeBack(signal));
  }

  snapshot(): RatePacerSnapshot {
    return {
      profile: this.profile,
      dailyLimit: this.dailyLimitValue,
      dailyUsed: this.dailyUsed,
      dailyWindowStartedAt: this.dailyWindowStart === undefined ? undefined : new Date(this.dailyWindowStart),
      dailyWindowResetsAt:
        this.dailyWindowStart === undefined ? undefined : new Date(this.dailyWindowStart + this.dayMs),
    };
  }

  private openDailyWindow(now: number): void {
    if (this.dailyLimitValue === undefined) return;
    // KnowBe4's window opens with the first request and closes ~24h later; the next request opens a new one.
    if (this.dailyWindowStart === undefined || now >= this.dailyWindowStart + this.dayMs) {
      this.dailyWindowStart = now;
      this.dailyUsed = 0;
    }
    if (this.dailyUsed >= this.dailyLimitValue) {
      throw new KnowBe4BudgetExhaustedError({
        resumeAt: new Date(this.dailyWindowStart + this.dayMs),
        dailyLimit: this.dailyLimitValue,
      });
    }
  }

  private slotAt(indexFromOldest: number): number {
    const capacity = this.slots.length;
    const oldest = (this.slotHead - this.slotCount + capacity) % capacity;
    return this.slots[(oldest + indexFromOldest) % capacity];
  }

  private pushSlot(at: number): void {
    const capacity = this.slots.length;
    this.slots[this.slotHead] = at;
    this.slotHead = (this.slotHead + 1) % capacity;
    if (this.slotCount < capacity) this.slotCount += 1;
  }
}

/** Fingerprint of an account's credentials for registry keys and logs; never the key itself. */
export function credentialFingerprint(region: string, secret: string): string {
  return createHash('sha256').update(region).update('\0').update(secret).digest('hex').slice(0, 16);
}

/**
 * One pacer per account and profile in a process, so every client of the same account shares its limits.
 * Keyed by region and a hash of the key — the key itself is never stored here.
 */
export class RatePacerRegistry implements PacerRegistry {
  private readonly pacers = new Map<string, RatePacer>();

  constructor(private readonly defaults: Omit<RatePacerOptions, 'profile'> = {}) {}

  pacerFor(region: string, secret: string, options: RatePacerOptions = {}): RatePacer {
    const profile = options.profile ?? 'documented';
    const key = `${profile}:${region}:${credentialFingerprint(region, secret)}`;
    let pacer = this.pacers.get(key);
    if (!pacer) {
      pacer = new RatePacer({ ...this.defaults, ...options, profile });
      this.pacers.set(key, pacer);
    }
    return pacer;
  }

  get size(): number {
    return this.pacers.size;
  }

  clear(): void {
    this.pacers.clear();
  }
}

/** The process-wide registry used when a client is given a profile name instead of a pacer. */
export const sharedRatePacers = new RatePacerRegistry();
