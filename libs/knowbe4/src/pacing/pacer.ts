import type { PacingProfile, RatePacerOptions } from './rate-pacer';

/**
 * Who a request is for. `sync` (the poller) keeps a reserved share of the account's windows and daily budget;
 * `interactive` (proxy, read-through, credential checks) may not take that share while a sync is running.
 */
export type PacingLane = 'sync' | 'interactive';

/**
 * What a caller holds while it works and can give back while its request waits (the poller's run slot): a run
 * waiting for its account's pace must not keep another account's run from working.
 */
export interface WorkSlot {
  /** The request has to wait: the caller needs no slot meanwhile. Idempotent. */
  giveBack(): void;
  /** Resolves once the caller holds its slot again (at once if it still does); aborting ends the wait. */
  takeBack(signal?: AbortSignal): Promise<void>;
}

/** How one request waits for its slot. */
export interface AcquireOptions {
  /** Aborting gives the place in the queue back; nothing is spent for a request that is never sent. */
  signal?: AbortSignal;
  /** Waiters of one account are served round-robin by holder (the gateway uses the workspace id). */
  holder?: string;
  lane?: PacingLane;
  /** Longest wait for a slot before KnowBe4PacingTimeoutError; undefined waits as long as it takes. */
  maxWaitMs?: number;
  /** Given back while the request waits for pace (not when it may go at once), taken back before it is sent. */
  workSlot?: WorkSlot;
}

/**
 * What the transport needs from a pacer: before each attempt, wait until the request may go (or throw
 * KnowBe4BudgetExhaustedError / KnowBe4PacingTimeoutError). `RatePacer` (one process) and `SharedRatePacer`
 * (a budget every process of the account shares) both implement it.
 */
export interface Pacer {
  readonly profile: PacingProfile;
  /** Resolves when the request may be sent; undefined when it may go at once. */
  acquire(options?: AcquireOptions): Promise<void> | undefined;
  /** The daily budget grows with the licence count, which is only known after GET /account. */
  setLicensedUsers?(licensedUsers: number): void;
}

/** Hands out the pacer of an account (by region and secret) for a profile; clients take one instead of a pacer. */
export interface PacerRegistry {
  pacerFor(region: string, secret: string, options?: RatePacerOptions): Pacer;
}

export function isPacer(value: unknown): value is Pacer {
  return typeof value === 'object' && value !== null && typeof (value as Pacer).acquire === 'function';
}
