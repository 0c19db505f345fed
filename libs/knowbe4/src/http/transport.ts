import type { Dispatcher } from 'undici';
import type { KnowBe4Error } from '../errors';
import type { AcquireOptions, Pacer } from '../pacing/pacer';
import { Clock, systemClock } from './clock';
import { DEFAULT_TIMEOUT_MS, dispatchAttempt, HttpMethod, sharedDispatcher, WireRequest } from './dispatch/dispatcher';
import { buildQueryString, Query } from './dispatch/query-string';
import {
  defaultErrorFor,
  ErrorMapper,
  failedResponse,
  FailureContext,
  notJsonError,
  unreachableError,
} from './error-mapping/upstream-errors';
import { waitForPacingSlot } from './pacing/pacing-slot';
import { redactSecrets, redactUrl } from './redact';
import { AttemptDetails, KnowBe4RequestEvent, RequestReporter } from './request-events/request-reporter';
import {
  headerValue,
  parseErrorBody,
  parseSuccessJson,
  readChunks,
  readText,
  ResponseBody,
  utf8Text,
} from './response-reading/body';
import { retryAfterNetworkError, retryAfterStatus } from './retry/retry-decision';
import type { RetryPolicy } from './retry/retry-policy';

/** Per-call options every client method accepts. */
export interface CallOptions {
  /** Sent as `x-request-id` so our logs and KnowBe4's can be correlated. */
  requestId?: string;
  signal?: AbortSignal;
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

export const DEFAULT_USER_AGENT = 'kb4-directory/0.1 (+libs/knowbe4)';

/** What one attempt came to: the final answer, or the wait before the next attempt. */
type AttemptResult<R> = { done: true; response: TransportResponse<R> } | { done: false; delayMs: number };

/**
 * The one place where a KnowBe4 call is put together: each attempt waits for a pacing slot (`pacing/`), is sent
 * (`dispatch/`), retried with backoff when transient (`retry/`), read (`response-reading/`), mapped to a typed error
 * when final (`error-mapping/`) and counted (`request-events/`). Both clients are thin typed layers over `send()`.
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
  readonly #reporter: RequestReporter;
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
    this.#reporter = new RequestReporter(options.api, this.#clock, options.onRequest);
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
    const request = this.wireRequest(method, path, query, body, options);
    const answer = await this.exchange(request, readText);
    const parsed = this.parseSuccessBody<T>(answer.body, request, answer.requestId, answer.attempts);
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
    const request = this.wireRequest(method, path, query, body, options);
    const answer = await this.exchange(request, readChunks);
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
      json: <T>() => this.parseSuccessBody<T>(utf8Text(whole()), request, requestId, attempts),
    };
  }

  /** Attempts until one is final; between attempts it sleeps the backoff that attempt asked for. */
  private async exchange<R>(request: WireRequest, read: (body: ResponseBody) => Promise<R>): Promise<TransportResponse<R>> {
    const startedAt = this.#clock.now();
    for (let attempt = 1; ; attempt += 1) {
      await waitForPacingSlot(this.#pacer, this.#pacing, request.signal);
      const result = await this.attempt(request, attempt, startedAt, read);
      if (result.done) return result.response;
      await this.backOff(result.delayMs, request.signal);
    }
  }

  /** A backoff is a wait like a pacing wait: the caller's work slot (if it gave one) is given back meanwhile. */
  private async backOff(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
    const slot = this.#pacing.workSlot;
    if (!slot || delayMs <= 0) return this.#clock.sleep(delayMs, signal);
    slot.giveBack();
    await this.#clock.sleep(delayMs, signal);
    await slot.takeBack(signal);
  }

  /** One attempt: a 2xx is read by `read`, a transient failure asks for a retry, anything else throws. */
  private async attempt<R>(
    request: WireRequest,
    attempt: number,
    startedAt: number,
    read: (body: ResponseBody) => Promise<R>,
  ): Promise<AttemptResult<R>> {
    const attemptStartedAt = this.#reporter.attemptStarted();
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatchAttempt(this.#dispatcher, this.#origin, request, this.#timeoutMs);
    } catch (error) {
      return { done: false, delayMs: this.retryDelayAfterNetworkError(request, error, attempt, startedAt, attemptStartedAt) };
    }

    const status = response.statusCode;
    const upstreamRequestId = headerValue(response.headers['x-request-id']) ?? request.requestId;
    this.lastRequestId = upstreamRequestId;
    const details: AttemptDetails = { status, requestId: request.requestId, upstreamRequestId };

    if (status >= 200 && status < 300) {
      const content = await read(response.body);
      this.#reporter.report(request.method, request.path, attempt, attemptStartedAt, 'success', details);
      return { done: true, response: { status, body: content, requestId: upstreamRequestId, attempts: attempt } };
    }

    const retryAfter = response.headers['retry-after'];
    const { retryDelayMs } = retryAfterStatus(this.#retry, this.#clock, status, retryAfter, attempt, startedAt);
    if (retryDelayMs !== undefined) {
      await response.body.dump();
      this.#reporter.report(request.method, request.path, attempt, attemptStartedAt, 'retry', details);
      return { done: false, delayMs: retryDelayMs };
    }
    throw await this.finalFailure(request, response, attempt, attemptStartedAt, details);
  }

  /** The backoff before the next attempt after a network failure; throws when the failure is final. */
  private retryDelayAfterNetworkError(
    request: WireRequest,
    error: unknown,
    attempt: number,
    startedAt: number,
    attemptStartedAt: number,
  ): number {
    const { retryable, retryDelayMs } = retryAfterNetworkError(this.#retry, this.#clock, error, attempt, startedAt);
    this.#reporter.report(request.method, request.path, attempt, attemptStartedAt, retryDelayMs === undefined ? 'failure' : 'retry', {
      requestId: request.requestId,
      errorCode: (error as { code?: string }).code,
    });
    if (retryDelayMs !== undefined) return retryDelayMs;
    if (!retryable) throw error;
    throw unreachableError(this.failureContext(request, attempt, request.requestId), error);
  }

  /** Reads and redacts the body of a final non-2xx answer and maps it to this API's typed error. */
  private async finalFailure(
    request: WireRequest,
    response: Dispatcher.ResponseData,
    attempt: number,
    attemptStartedAt: number,
    details: AttemptDetails,
  ): Promise<KnowBe4Error> {
    const errorBody = this.redact(parseErrorBody(await readText(response.body)));
    this.#reporter.report(request.method, request.path, attempt, attemptStartedAt, 'failure', details);
    const context = this.failureContext(request, attempt, details.upstreamRequestId);
    return this.#mapError(failedResponse(context, response.statusCode, errorBody));
  }

  private parseSuccessBody<T>(text: string, request: WireRequest, requestId: string | undefined, attempts: number): T {
    try {
      return parseSuccessJson<T>(text);
    } catch (error) {
      const context = this.failureContext(request, attempts, requestId);
      throw notJsonError(context, request.fullPath.split('?')[0], this.redact(text.slice(0, 500)), error);
    }
  }

  private wireRequest(
    method: HttpMethod,
    path: string,
    query: Query | undefined,
    body: unknown,
    options: CallOptions | undefined,
  ): WireRequest {
    return {
      method,
      path,
      fullPath: `${this.#basePath}${path}${buildQueryString(query)}`,
      headers: this.requestHeaders(body !== undefined, options?.requestId),
      payload: body === undefined ? undefined : JSON.stringify(body),
      signal: options?.signal,
      requestId: options?.requestId,
    };
  }

  private requestHeaders(hasBody: boolean, requestId: string | undefined): Record<string, string> {
    if (!hasBody && !requestId) return this.#headers;
    const headers = { ...this.#headers };
    if (hasBody) headers['content-type'] = this.#contentType;
    if (requestId) headers['x-request-id'] = requestId;
    return headers;
  }

  private failureContext(request: WireRequest, attempts: number, requestId: string | undefined): FailureContext {
    const url = redactUrl(`${this.#origin}${request.fullPath}`, this.#secrets);
    return { api: this.api, method: request.method, path: request.path, url, requestId, attempts };
  }

  toJSON(): Record<string, unknown> {
    return { api: this.api, baseUrl: this.baseUrl };
  }
}
