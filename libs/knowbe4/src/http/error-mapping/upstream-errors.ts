import {
  KnowBe4AuthError,
  KnowBe4Error,
  KnowBe4ErrorDetails,
  KnowBe4NotFoundError,
  KnowBe4RateLimitError,
  KnowBe4RequestError,
  KnowBe4UpstreamError,
} from '../../errors';
import type { HttpMethod } from '../dispatch/dispatcher';

/** Context handed to an API-specific error mapper for a final non-2xx answer. */
export interface FailedResponse {
  status: number;
  body: unknown;
  details: KnowBe4ErrorDetails;
}

export type ErrorMapper = (failure: FailedResponse) => KnowBe4Error;

/** Where a failure happened, for its message: which API, which call, the redacted URL and the attempts made. */
export interface FailureContext {
  api: 'reporting' | 'scim';
  method: HttpMethod;
  /** Path below the base URL, without query string. */
  path: string;
  /** The full URL with secrets removed. */
  url: string;
  requestId?: string;
  attempts: number;
}

/** Extracts the human message KnowBe4 (`message`) or SCIM (`detail`) put into an error body. */
export function upstreamMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['message', 'detail', 'error', 'error_description']) {
      if (typeof record[key] === 'string') return record[key];
    }
  }
  return undefined;
}

/** Default mapping of a final non-2xx answer to the typed errors. */
export function defaultErrorFor(failure: FailedResponse): KnowBe4Error {
  const { status, details } = failure;
  if (status === 401 || status === 403) return new KnowBe4AuthError(details);
  if (status === 404) return new KnowBe4NotFoundError(details);
  if (status === 429) return new KnowBe4RateLimitError(details);
  if (status >= 500) return new KnowBe4UpstreamError(details);
  return new KnowBe4RequestError(details);
}

/** A final non-2xx answer (body already redacted), ready for the API's error mapper. */
export function failedResponse(context: FailureContext, status: number, body: unknown): FailedResponse {
  const { api, method, path, attempts } = context;
  const upstream = upstreamMessage(body);
  return {
    status,
    body,
    details: {
      message: `KnowBe4 ${api} API answered ${status} to ${method} ${path}${upstream ? `: ${upstream}` : ''}${
        attempts > 1 ? ` (after ${attempts} attempts)` : ''
      }`,
      status,
      requestId: context.requestId,
      method,
      url: context.url,
      body,
      attempts,
    },
  };
}

/** Retryable network failures ran out of attempts or time. */
export function unreachableError(context: FailureContext, error: unknown): KnowBe4UpstreamError {
  return new KnowBe4UpstreamError({
    message: `KnowBe4 ${context.api} API unreachable after ${context.attempts} attempt(s): ${(error as Error).message}`,
    method: context.method,
    url: context.url,
    requestId: context.requestId,
    attempts: context.attempts,
    cause: error,
  });
}

/** A 2xx answer whose body is not JSON (`body` is the redacted start of it; `basePathAndPath` has no query). */
export function notJsonError(
  context: FailureContext,
  basePathAndPath: string,
  body: unknown,
  cause: unknown,
): KnowBe4UpstreamError {
  return new KnowBe4UpstreamError({
    message: `KnowBe4 ${context.api} API answered ${context.method} ${basePathAndPath} with a body that is not JSON`,
    method: context.method,
    url: context.url,
    requestId: context.requestId,
    body,
    attempts: context.attempts,
    cause,
  });
}
