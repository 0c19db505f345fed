import type { Dispatcher } from 'undici';
import type { CredentialCheckFailure } from '../errors';
import type { Clock } from '../http/clock';
import type { KnowBe4RequestEvent } from '../http/request-events/request-reporter';
import type { RetryPolicy } from '../http/retry/retry-policy';
import type { AcquireOptions, Pacer, PacerRegistry } from '../pacing/pacer';
import type { PacingProfile } from '../pacing/rate-pacer';
import type { KnowBe4Region } from '../regions';
import type { SkipListener } from './pagination';
import type { KnowBe4Account } from './types';

export interface ReportingClientOptions {
  region: KnowBe4Region;
  apiKey: string;
  /** Routes every region to `{override}/{region}/v1` (env KNOWBE4_BASE_URL_OVERRIDE, e.g. the sandbox). */
  baseUrlOverride?: string;
  /** A pacer, or a profile for the registry's pacer of this account (default `documented`). */
  pacer?: Pacer | PacingProfile;
  /**
   * Registry used when `pacer` is a profile name; defaults to the process-wide in-memory one. A
   * `SharedRatePacerRegistry` shares the account's budget with other processes.
   */
  pacerRegistry?: PacerRegistry;
  /**
   * How requests wait for the pacer: `lane` (`sync` keeps a reserved share; default `interactive`), `holder` (waiters
   * of one account are served round-robin by holder) and `maxWaitMs` (then KnowBe4PacingTimeoutError, nothing spent).
   */
  pacing?: Omit<AcquireOptions, 'signal'>;
  /** Licensed users of the account, for the daily budget (2,000 + this). */
  licensedUsers?: number;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  /** Per-attempt timeout for headers and for body inactivity (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  clock?: Clock;
  /** Called once per HTTP attempt — wire metrics or logs here. */
  onRequest?: (event: KnowBe4RequestEvent) => void;
  /** Called for every list entry dropped as dirty data (`null` in an array). */
  onSkippedRecord?: SkipListener;
  /**
   * How lists are walked: KnowBe4's `page`/`per_page` (default), or `cursor` (`cursor=true`, then
   * `_metadata.next_cursor`), which KnowBe4 announced as the successor of page numbers. Cursors also keep a walk
   * from skipping a record when another one is deleted mid-walk, which shifts page boundaries.
   */
  pagination?: ListPagination;
}

export type ListPagination = 'page' | 'cursor';

export type VerifyCredentialsResult =
  | { ok: true; account: KnowBe4Account; requestId?: string }
  | CredentialCheckFailure;
