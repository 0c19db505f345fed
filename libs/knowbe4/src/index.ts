export * from './errors';
export * from './regions';
export { type Clock, systemClock, seededRandom } from './http/clock';
export {
  type RetryPolicy,
  type BackoffPolicy,
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  backoffDelayMs,
  nextRetryDelayMs,
  isRetryableStatus,
  isRetryableNetworkError,
} from './http/retry/retry-policy';
export { redactSecrets, redactUrl, REDACTED } from './http/redact';
export { type CallOptions, type TransportResponse, type RawTransportResponse } from './http/transport';
export { type KnowBe4RequestEvent } from './http/request-events/request-reporter';
export { type Query } from './http/dispatch/query-string';
export { DEFAULT_TIMEOUT_MS, sharedDispatcher } from './http/dispatch/dispatcher';
export {
  RatePacer,
  type RatePacerOptions,
  RatePacerRegistry,
  type RatePacerSnapshot,
  type PacingProfile,
  type RateWindow,
  windowsForProfile,
  credentialFingerprint,
  sharedRatePacers,
  DAY_MS,
  dailyWindowMs,
  DAILY_BASE_BUDGET,
} from './pacing/rate-pacer';
export { type Pacer, type PacerRegistry, type PacingLane, type AcquireOptions, type WorkSlot, isPacer } from './pacing/pacer';
export {
  SharedRatePacer,
  type SharedRatePacerOptions,
  SharedRatePacerRegistry,
  type RateBudgetStore,
  type BudgetDecision,
  type BudgetTakeRequest,
  type BudgetGiveBack,
  budgetKeyFor,
  earliestSlot,
  interactiveLimit,
  SYNC_ACTIVE_MS,
  DEFAULT_SYNC_RESERVED_SHARE,
} from './pacing/shared-rate-pacer';
export * from './reporting/types';
export { PagedList, type SkippedRecord, type SkipListener, MAX_PER_PAGE } from './reporting/pagination';
export {
  ReportingClient,
  type ReportingClientOptions,
  type VerifyCredentialsResult,
  wrongRegionHint,
  type ListPagination,
} from './reporting/reporting-client';
export * from './scim/types';
export { scimStringLiteral, userNameEqualsFilter, memberValuePath } from './scim/filter';
export { ScimClient, type ScimClientOptions, type ScimVerifyCredentialsResult, scimErrorFor } from './scim/scim-client';
