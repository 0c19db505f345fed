import type { PacingProfile, RatePacerOptions } from './rate-pacer';

/**
 * What the transport needs from a pacer: before each attempt, wait until the request may go (or throw
 * KnowBe4BudgetExhaustedError). `RatePacer` (one process) and `SharedRatePacer` (a budget every process of
 * the account shares) both implement it.
 */
export interface Pacer {
  readonly profile: PacingProfile;
  /** Resolves when the request may be sent; undefined when it may go at once. */
  acquire(signal?: AbortSignal): Promise<void> | undefined;
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
