/** What the console shows when a call fails: words a technician can act on, and the request id to quote. */
export interface Failure {
  status: number;
  message: string;
  requestId?: string;
}

interface ErrorBodyLike {
  message?: unknown;
  request_id?: unknown;
  truto_error_insight?: unknown;
  details?: unknown;
}

const BY_STATUS: Record<number, string> = {
  401: 'The gateway did not accept this API key. Sign out and sign in again with a valid workspace key.',
  403: 'This API key is not allowed to do that (a scope is missing). Ask for a key with the scope named below.',
  404: 'Not found in this workspace — it may have been removed, or it belongs to another workspace.',
  413: 'The upload is larger than the gateway accepts.',
  429: 'Too many requests right now. Wait a moment and try again.',
};

const BY_INSIGHT: Record<string, string> = {
  auth_error: 'KnowBe4 refused the credentials. Check the Reporting API key, the SCIM token and the region.',
  rate_limit_error: 'KnowBe4 is rate limiting this account. The request was not sent; try again later.',
  remote_error: 'KnowBe4 answered with an error.',
};

function detailText(details: unknown): string | undefined {
  if (details === undefined || details === null) return undefined;
  if (typeof details === 'string') return details;
  if (Array.isArray(details)) return details.map((d) => (typeof d === 'string' ? d : JSON.stringify(d))).join('; ');
  return JSON.stringify(details);
}

/** Turns an error answer (the gateway's one error shape, or anything else) into a Failure. */
export function describeFailure(status: number, body: unknown, headerRequestId?: string | null): Failure {
  const shaped = (typeof body === 'object' && body !== null ? body : {}) as ErrorBodyLike;
  const said = typeof shaped.message === 'string' ? shaped.message : undefined;
  const insight = typeof shaped.truto_error_insight === 'string' ? BY_INSIGHT[shaped.truto_error_insight] : undefined;
  const general = status >= 500 ? 'The gateway could not complete this request. Try again; if it keeps failing, quote the request id.' : BY_STATUS[status];
  const parts = [insight ?? general, said].filter((part): part is string => Boolean(part));
  const details = detailText(shaped.details);
  if (details && status === 400) parts.push(details);
  const requestId = typeof shaped.request_id === 'string' ? shaped.request_id : (headerRequestId ?? undefined);
  return { status, message: parts.length > 0 ? parts.join(' — ') : `The gateway answered ${status}.`, ...(requestId ? { requestId } : {}) };
}

/** A failure before any answer: the gateway is unreachable. */
export function unreachable(): Failure {
  return { status: 0, message: 'Cannot reach the gateway. Check that it is running and that this page was opened from it.' };
}

/** Thrown by `call` so TanStack Query hands the Failure to the screen. */
export class FailureError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'FailureError';
  }
}

export function failureOf(error: unknown): Failure {
  if (error instanceof FailureError) return error.failure;
  return unreachable();
}
