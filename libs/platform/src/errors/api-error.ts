/** The one error shape every HTTP response uses (design.md "Errors"). */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
  request_id: string;
  truto_is_remote_error?: true;
  raw_response?: { status: number; body: unknown };
  truto_error_insight?: string;
}

/** What an error adds besides its body fields. */
export interface ApiErrorOptions {
  /** `truto_error_insight` for a failure of our own (not marked as remote), e.g. our KnowBe4 pacing giving up. */
  insight?: string;
  /** Response headers that belong to the error, e.g. `retry-after` on a 429. */
  headers?: Record<string, string>;
}

/** An error that already knows how it should look to an API caller. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
    readonly remote?: { status: number; body: unknown; insight: string },
    readonly options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
