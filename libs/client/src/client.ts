import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';

/** The gateway's API, typed from the committed openapi.json: `client.GET('/operations', {params: {query}})`. */
export type Kb4Client = Client<paths>;

/** The one error shape of every 4xx/5xx answer. */
export type Kb4ErrorBody = components['schemas']['ErrorResponseDto'];

export interface Kb4ClientOptions {
  /** The gateway, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** A workspace API key (workspace routes) … */
  apiKey?: string;
  /** … or the operator's ADMIN_TOKEN (the /admin routes). */
  adminToken?: string;
  /** Extra headers on every request (e.g. Idempotency-Key is better set per call). */
  headers?: Record<string, string>;
  fetch?: (request: Request) => Promise<Response>;
}

/** A typed client of the kb4-directory gateway that sends the given credential as `Authorization: Bearer`. */
export function createKb4Client(options: Kb4ClientOptions): Kb4Client {
  if (options.apiKey && options.adminToken) throw new Error('createKb4Client takes apiKey or adminToken, not both');
  const token = options.apiKey ?? options.adminToken;
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { ...options.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Thrown by `unwrap` for an error answer: the status and the error body in the one shape. */
export class Kb4ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Kb4ErrorBody | undefined,
  ) {
    super(body?.message ? `${status}: ${body.message}` : `HTTP ${status}`);
    this.name = 'Kb4ApiError';
  }
}

/** The data of a successful answer, or a Kb4ApiError: `const ws = unwrap(await admin.POST('/admin/workspaces', {body}))`. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw new Kb4ApiError(result.response.status, result.error as Kb4ErrorBody | undefined);
  return result.data as T;
}
