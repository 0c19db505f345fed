import { Agent, Dispatcher } from 'undici';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const DEFAULT_TIMEOUT_MS = 30_000;

let sharedAgent: Agent | undefined;
/** One keep-alive connection pool per process, shared by every client unless a dispatcher is injected. */
export function sharedDispatcher(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: 32 });
  return sharedAgent;
}

/** One HTTP attempt as sent on the wire (the same for every retry of a call). */
export interface WireRequest {
  method: HttpMethod;
  /** Path below the base URL, without query string (what metrics and error messages name). */
  path: string;
  /** Base path, path and query string, as sent. */
  fullPath: string;
  headers: Record<string, string>;
  payload?: string;
  signal?: AbortSignal;
  requestId?: string;
}

/** Sends one attempt; the per-attempt timeout bounds both the wait for headers and body inactivity. */
export function dispatchAttempt(
  dispatcher: Dispatcher,
  origin: string,
  request: WireRequest,
  timeoutMs: number,
): Promise<Dispatcher.ResponseData> {
  return dispatcher.request({
    origin,
    path: request.fullPath,
    method: request.method,
    headers: request.headers,
    body: request.payload,
    signal: request.signal,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}
