/**
 * Typed failures of the KnowBe4 clients. Every error carries the upstream status, request id, method, URL and
 * body with secrets removed, and an `insight` in Truto's `truto_error_insight` vocabulary for the gateway.
 */
export type KnowBe4ErrorInsight =
  | 'auth_error'
  | 'forbidden_error'
  | 'rate_limit_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'invalid_request_error'
  | 'remote_error';

export interface KnowBe4ErrorDetails {
  message?: string;
  /** HTTP status from KnowBe4; undefined when no response arrived (network failure, local budget). */
  status?: number;
  /** Upstream `x-request-id`, or ours when the upstream sent none. */
  requestId?: string;
  method?: string;
  /** Without credentials. */
  url?: string;
  /** Parsed upstream body, secrets removed. */
  body?: unknown;
  /** HTTP attempts made, retries included. */
  attempts?: number;
  cause?: unknown;
}

export abstract class KnowBe4Error extends Error {
  abstract readonly insight: KnowBe4ErrorInsight;
  /** Whether a later retry of the same request could succeed. */
  abstract readonly transient: boolean;
  readonly status?: number;
  readonly requestId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly body?: unknown;
  readonly attempts: number;

  constructor(details: KnowBe4ErrorDetails, fallbackMessage: string) {
    super(details.message ?? fallbackMessage, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.requestId = details.requestId;
    this.method = details.method;
    this.url = details.url;
    this.body = details.body;
    this.attempts = details.attempts ?? 1;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      insight: this.insight,
      status: this.status,
      requestId: this.requestId,
      method: this.method,
      url: this.url,
      body: this.body,
      attempts: this.attempts,
    };
  }
}

/** 401/403: the key or token was rejected (for the Reporting API, often a key used in the wrong region). */
export class KnowBe4AuthError extends KnowBe4Error {
  readonly insight: KnowBe4ErrorInsight;
  readonly transient = false;
  constructor(details: KnowBe4ErrorDetails) {
    super(details, 'KnowBe4 rejected the credentials');
    this.insight = details.status === 403 ? 'forbidden_error' : 'auth_error';
  }
}

/** 429 that outlasted the retry policy. */
export class KnowBe4RateLimitError extends KnowBe4Error {
  readonly insight = 'rate_limit_error';
  readonly transient = true;
  constructor(details: KnowBe4ErrorDetails) {
    super(details, 'KnowBe4 kept answering 429 Too Many Requests');
  }
}

/** Local daily request budget used up; thrown instead of sleeping until the window resets. */
export class KnowBe4BudgetExhaustedError extends KnowBe4Error {
  readonly insight = 'rate_limit_error';
  readonly transient = true;
  /** When the next daily window opens. */
  readonly resumeAt: Date;
  readonly dailyLimit: number;
  constructor(details: KnowBe4ErrorDetails & { resumeAt: Date; dailyLimit: number }) {
    super(
      details,
      `KnowBe4 daily request budget of ${details.dailyLimit} is used up; resume at ${details.resumeAt.toISOString()}`,
    );
    this.resumeAt = details.resumeAt;
    this.dailyLimit = details.dailyLimit;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), resumeAt: this.resumeAt.toISOString(), dailyLimit: this.dailyLimit };
  }
}

/**
 * Our own pacing gave up: the request waited `maxWaitMs` in the account's queue without getting a slot, so it was
 * never sent (nothing of the daily budget was spent). `retryAfterMs` estimates when the queue ahead will have drained.
 */
export class KnowBe4PacingTimeoutError extends KnowBe4Error {
  readonly insight = 'rate_limit_error';
  readonly transient = true;
  readonly retryAfterMs: number;
  readonly waitedMs: number;
  constructor(details: KnowBe4ErrorDetails & { retryAfterMs: number; waitedMs: number }) {
    super(
      details,
      `the KnowBe4 account's request queue did not reach this request within ${details.waitedMs} ms; retry in ${Math.ceil(details.retryAfterMs / 1000)} s`,
    );
    this.retryAfterMs = details.retryAfterMs;
    this.waitedMs = details.waitedMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs, waitedMs: this.waitedMs };
  }
}

export class KnowBe4NotFoundError extends KnowBe4Error {
  readonly insight = 'not_found_error';
  readonly transient = false;
  constructor(details: KnowBe4ErrorDetails) {
    super(details, 'KnowBe4 resource not found');
  }
}

/** 5xx or network failure that outlasted the retry policy. */
export class KnowBe4UpstreamError extends KnowBe4Error {
  readonly insight = 'remote_error';
  readonly transient = true;
  constructor(details: KnowBe4ErrorDetails) {
    super(details, 'KnowBe4 failed to answer');
  }
}

/** Any other 4xx: the request itself is wrong; retrying will not help. */
export class KnowBe4RequestError extends KnowBe4Error {
  readonly insight: KnowBe4ErrorInsight = 'invalid_request_error';
  readonly transient = false;
  constructor(details: KnowBe4ErrorDetails) {
    super(details, 'KnowBe4 rejected the request');
  }
}

/** SCIM 400 with the RFC 7644 `scimType` (invalidFilter, invalidValue, mutability, …). */
export class ScimRequestError extends KnowBe4RequestError {
  readonly scimType?: string;
  constructor(details: KnowBe4ErrorDetails & { scimType?: string }) {
    super(details);
    this.scimType = details.scimType;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), scimType: this.scimType };
  }
}

/** SCIM 409 (`scimType: uniqueness`); `existing` is the resource holding the userName, when it could be found. */
export class ScimConflictError<TExisting = unknown> extends KnowBe4Error {
  readonly insight = 'conflict_error';
  readonly transient = false;
  readonly scimType?: string;
  readonly existing?: TExisting;
  constructor(details: KnowBe4ErrorDetails & { scimType?: string; existing?: TExisting }) {
    super(details, 'KnowBe4 SCIM reported a uniqueness conflict');
    this.scimType = details.scimType;
    this.existing = details.existing;
  }
  /** Same error, now carrying the conflicting resource. */
  withExisting<T>(existing: T | undefined): ScimConflictError<T> {
    return new ScimConflictError<T>({
      message: this.message,
      status: this.status,
      requestId: this.requestId,
      method: this.method,
      url: this.url,
      body: this.body,
      attempts: this.attempts,
      scimType: this.scimType,
      existing,
    });
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), scimType: this.scimType, existing: this.existing };
  }
}

export function isKnowBe4Error(error: unknown): error is KnowBe4Error {
  return error instanceof KnowBe4Error;
}

/** Why a credential check failed; `message` is a hint safe to show (a 401 names the region as the likely culprit). */
export interface CredentialCheckFailure {
  ok: false;
  reason: 'auth' | 'rate_limited' | 'unreachable' | 'unexpected';
  message: string;
  error: KnowBe4Error | Error;
}

/** Classifies what a credential check threw, the same way for the Reporting API and SCIM. */
export function credentialCheckFailure(error: unknown): CredentialCheckFailure {
  if (error instanceof KnowBe4AuthError) return { ok: false, reason: 'auth', message: error.message, error };
  if (error instanceof KnowBe4Error && error.insight === 'rate_limit_error') {
    return { ok: false, reason: 'rate_limited', message: error.message, error };
  }
  if (error instanceof KnowBe4Error && error.insight === 'remote_error') {
    return { ok: false, reason: 'unreachable', message: error.message, error };
  }
  const asError = error instanceof Error ? error : new Error(String(error));
  return { ok: false, reason: 'unexpected', message: asError.message, error: asError };
}
