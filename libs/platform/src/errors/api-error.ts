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

/** An error that already knows how it should look to an API caller. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: unknown,
    readonly remote?: { status: number; body: unknown; insight: string },
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
