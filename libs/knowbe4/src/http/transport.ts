import { Agent, Dispatcher } from 'undici';
import {
  KnowBe4AuthError,
  KnowBe4Error,
  KnowBe4ErrorDetails,
  KnowBe4NotFoundError,
  KnowBe4RateLimitError,
  KnowBe4RequestError,
  KnowBe4UpstreamError,
} from '../errors';
import type { AcquireOptions, Pacer } from '../pacing/pacer';
import { Clock, systemClock } from './clock';
import { redactSecrets, redactUrl } from './redact';
import {
  isRetryableNetworkError,
  isRetryableStatus,
  nextRetryDelayMs,
  parseRetryAfterMs,
  RetryPolicy,
} from './retry';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue>;

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Sent as `x-request-id` so our logs and KnowBe4's can be correlated. */
  requestId?: string;
  signal?: AbortSignal;
}

/** One HTTP attempt, reported to the metrics hook (`onRequest`). */
export interface KnowBe4RequestEvent {
  api: 'reporting' | 'scim';
  method: HttpMethod;
  /** Path below the base URL, without query string. */
  path: string;
  /** Undefined when no response arrived. */
  status?: number;
  attempt: number;
  durationMs: number;
  outcome: 'success' | 'retry' | 'failure';
  requestId?: string;
  upstreamRequestId?: string;
  errorCode?: string;
}

export interface TransportResponse<T> {
  status: number;
  body: T;
  /** Upstream `x-request-id` (falls back to the one we sent). */
  requestId?: string;
  attempts: number;
}

/**
 * A 2xx answer whose body was read but not parsed: `bytes` exactly as sent (e.g. to fingerprint them), `json()`
 * parses on demand (each call parses afresh) and throws the same upstream error as `send()` for a non-JSON body.
 */
export interface RawTransportResponse {
  status: number;
  /** The body as it arrived, chunk by chunk (hash these to fingerprint it without copying it into one buffer). */
  chunks: readonly Buffer[];
  /** The whole body in one buffer (concatenated on first access). */
  readonly bytes: Buffer;
  requestId?: string;
  attempts: number;
  json<T = unknown>(): T;
}

type ResponseBody = Dispatcher.ResponseData['body'];

/** Context handed to an API-specific error mapper for a final non-2xx answer. */
export interface FailedResponse {
  status: number;
  body: unknown;
  details: KnowBe4ErrorDetails;
}

export type ErrorMapper = (failure: FailedResponse) => KnowBe4Error;

export interface TransportOptions {
  api: 'reporting' | 'scim';
  baseUrl: string;
  /** The bearer secret; kept in a private field, used only for the Authorization header and redaction. */
  secret: string;
  retry: RetryPolicy;
  pacer?: Pacer;
  /** How this client's requests wait for the pacer: lane, holder (fair share) and the longest wait. */
  pacing?: Omit<AcquireOptions, 'signal'>;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  userAgent?: string;
  contentType?: string;
  clock?: Clock;
  onRequest?: (event: KnowBe4RequestEvent) => void;
  mapError?: ErrorMapper;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_USER_AGENT = 'kb4-directory/0.1 (+libs/knowbe4)';

let sharedAgent: Agent | undefined;
/** One keep-alive connection pool per process, shared by every client unless a dispatcher is injected. */
export function sharedDispatcher(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000, connections: 32 });
  return sharedAgent;
}

export function buildQueryString(query: Query | undefined): string {
  if (!query) return '';
  let out = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined || value === null) continue;
    out += `${out ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return out;
}

function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** UTF-8 text of a body, without a byte-order mark (as undici's `text()` decodes it). */
function utf8Text(bytes: Buffer): string {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString('utf8', start);
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
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

/**
 * The one place where a KnowBe4 request is paced, sent, timed out, retried with backoff and mapped to a typed
 * error. Both clients are thin typed layers over `send()`.
 */
export class KnowBe4Transport {
  readonly api: 'reporting' | 'scim';
  readonly baseUrl: string;
  /** Upstream `x-request-id` of the latest response. */
  lastRequestId?: string;
  readonly #secrets: readonly string[];
  readonly #headers: Record<string, string>;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #dispatcher: Dispatcher;
  readonly #retry: RetryPolicy;
  readonly #pacer?: Pacer;
  readonly #pacing: Omit<AcquireOptions, 'signal'>;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #onRequest?: (event: KnowBe4RequestEvent) => void;
  readonly #mapError: ErrorMapper;
  readonly #contentType: string;

  constructor(options: TransportOptions) {
    const base = new URL(options.baseUrl);
    this.api = options.api;
    this.baseUrl = `${base.origin}${base.pathname.replace(/\/$/, '')}`;
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/$/, '');
    this.#secrets = [options.secret];
    this.#headers = {
      authorization: `Bearer ${options.secret}`,
      accept: options.contentType ? `${options.contentType}, application/json` : 'application/json',
      'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    };
    this.#dispatcher = options.dispatcher ?? sharedDispatcher();
    this.#retry = options.retry;
    this.#pacer = options.pacer;
    this.#pacing = options.pacing ?? {};
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#onRequest = options.onRequest;
    this.#mapError = options.mapError ?? defaultErrorFor;
    this.#contentType = options.contentType ?? 'application/json';
  }

  get pacer(): Pacer | undefined {
    return this.#pacer;
  }

  /** Removes our own secret from anything that may leave the process (errors, proxied bodies). */
  redact(value: unknown): unknown {
    return redactSecrets(value, this.#secrets);
  }

  async send<T>(
    method: HttpMethod,
    path: string,
    query?: Query,
    body?: unknown,
    options?: CallOptions,
  ): Promise<TransportResponse<T>> {
    const fullPath = `${this.#basePath}${path}${buildQueryString(query)}`;
    const answer = await this.exchange(method, path, fullPath, body, options, (response) => response.text());
    const parsed = this.parseSuccessBody<T>(answer.body, method, fullPath, answer.requestId, answer.attempts);
    return { status: answer.status, body: parsed, requestId: answer.requestId, attempts: answer.attempts };
  }

  /** As `send()`, but the 2xx body comes back as bytes, parsed only when `json()` is called. */
  async sendRaw(
    method: HttpMethod,
    path: string,
    query?: Query,
    body?: unknown,
    options?: CallOptions,
  ): Promise<RawTransportResponse> {
    const fullPath = `${this.#basePath}${path}${buildQueryString(query)}`;
    const answer = await this.exchange(method, path, fullPath, body, options, async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return chunks;
    });
    const { status, requestId, attempts } = answer;
    const chunks = answer.body;
    let bytes: Buffer | undefined;
    const whole = (): Buffer => (bytes ??= chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    return {
      status,
      chunks,
      get bytes() {
        return whole();
      },
      requestId,
      attempts,
      json: <T>() => this.parseSuccessBody<T>(utf8Text(whole()), method, fullPath, requestId, attempts),
    };
  }

  /** Paces, sends, retries and maps failures; `read` consumes the body of the final 2xx answer. */
  private async exchange<R>(
    method: HttpMethod,
    path: string,
    fullPath: string,
    body: unknown,
    options: CallOptions | undefined,
    read: (response: ResponseBody) => Promise<R>,
  ): Promise<TransportResponse<R>> {
    const headers = this.requestHeaders(body !== undefined, options?.requestId);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const startedAt = this.#clock.now();
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const wait = this.#pacer?.acquire({ ...this.#pacing, signal: options?.signal });
      if (wait) await wait;
      const attemptStartedAt = this.#onRequest ? this.#clock.now() : 0;
      let response: Dispatcher.ResponseData;
      try {
        response = await this.#dispatcher.request({
          origin: this.#origin,
          path: fullPath,
          method,
          headers,
          body: payload,
          signal: options?.signal,
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
      } catch (error) {
        const retryable = isRetryableNetworkError(error);
        const delay = retryable
          ? nextRetryDelayMs(this.#retry, attempt, this.#clock.now() - startedAt)
          : undefined;
        this.report(method, path, attempt, attemptStartedAt, delay === undefined ? 'failure' : 'retry', {
          requestId: options?.requestId,
          errorCode: (error as { code?: string }).code,
        });
        if (delay !== undefined) {
          await this.#clock.sleep(delay, options?.signal);
          continue;
        }
        if (!retryable) throw error;
        throw new KnowBe4UpstreamError({
          message: `KnowBe4 ${this.api} API unreachable after ${attempt} attempt(s): ${(error as Error).message}`,
          method,
          url: this.errorUrl(fullPath),
          requestId: options?.requestId,
          attempts: attempt,
          cause: error,
        });
      }

      const status = response.statusCode;
      const upstreamRequestId = headerValue(response.headers['x-request-id']) ?? options?.requestId;
      this.lastRequestId = upstreamRequestId;

      if (status >= 200 && status < 300) {
        const content = await read(response.body);
        this.report(method, path, attempt, attemptStartedAt, 'success', {
          status,
          requestId: options?.requestId,
          upstreamRequestId,
        });
        return { status, body: content, requestId: upstreamRequestId, attempts: attempt };
      }

      if (isRetryableStatus(status)) {
        const retryAfter = parseRetryAfterMs(response.headers['retry-after'], this.#clock.now());
        const delay = nextRetryDelayMs(this.#retry, attempt, this.#clock.now() - startedAt, retryAfter);
        if (delay !== undefined) {
          await response.body.dump();
          this.report(method, path, attempt, attemptStartedAt, 'retry', {
            status,
            requestId: options?.requestId,
            upstreamRequestId,
          });
          await this.#clock.sleep(delay, options?.signal);
          continue;
        }
      }

      const errorBody = this.redact(parseBody(await response.body.text()));
      this.report(method, path, attempt, attemptStartedAt, 'failure', {
        status,
        requestId: options?.requestId,
        upstreamRequestId,
      });
      const upstream = upstreamMessage(errorBody);
      throw this.#mapError({
        status,
        body: errorBody,
        details: {
          message: `KnowBe4 ${this.api} API answered ${status} to ${method} ${path}${upstream ? `: ${upstream}` : ''}${
            attempt > 1 ? ` (after ${attempt} attempts)` : ''
          }`,
          status,
          requestId: upstreamRequestId,
          method,
          url: this.errorUrl(fullPath),
          body: errorBody,
          attempts: attempt,
        },
      });
    }
  }

  private parseSuccessBody<T>(
    text: string,
    method: HttpMethod,
    fullPath: string,
    requestId: string | undefined,
    attempts: number,
  ): T {
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new KnowBe4UpstreamError({
        message: `KnowBe4 ${this.api} API answered ${method} ${fullPath.split('?')[0]} with a body that is not JSON`,
        method,
        url: this.errorUrl(fullPath),
        requestId,
        body: this.redact(text.slice(0, 500)),
        attempts,
        cause: error,
      });
    }
  }

  private requestHeaders(hasBody: boolean, requestId: string | undefined): Record<string, string> {
    if (!hasBody && !requestId) return this.#headers;
    const headers = { ...this.#headers };
    if (hasBody) headers['content-type'] = this.#contentType;
    if (requestId) headers['x-request-id'] = requestId;
    return headers;
  }

  private errorUrl(fullPath: string): string {
    return redactUrl(`${this.#origin}${fullPath}`, this.#secrets);
  }

  private report(
    method: HttpMethod,
    path: string,
    attempt: number,
    startedAt: number,
    outcome: KnowBe4RequestEvent['outcome'],
    extra: Pick<KnowBe4RequestEvent, 'status' | 'requestId' | 'upstreamRequestId' | 'errorCode'>,
  ): void {
    if (!this.#onRequest) return;
    try {
      this.#onRequest({
        api: this.api,
        method,
        path,
        attempt,
        durationMs: this.#clock.now() - startedAt,
        outcome,
        ...extra,
      });
    } catch {
      // A broken metrics hook must never fail a KnowBe4 call.
    }
  }

  toJSON(): Record<string, unknown> {
    return { api: this.api, baseUrl: this.baseUrl };
  }
}
