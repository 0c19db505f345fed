import { createHash, Hash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';

/** `users:3`: the last path segment of a list and the page number, the key a fetcher and the wire agree on. */
export function pageKey(path: string, page: number | string): string {
  return `${path.slice(path.lastIndexOf('/') + 1)}:${page}`;
}

type Headers = Record<string, string | string[] | undefined>;

/** Hashes a 200 response body chunk by chunk as it arrives, then reports the digest; forwards everything. */
class FingerprintHandler implements Dispatcher.DispatchHandler {
  private hash?: Hash;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly done: (fingerprint: string) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers, socket: Duplex): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers, statusMessage?: string): void {
    this.hash = statusCode === 200 ? createHash('sha1') : undefined;
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.hash?.update(chunk);
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Headers): void {
    if (this.hash) this.done(this.hash.digest('base64'));
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
  }
}

/**
 * The sha1 of each list page exactly as KnowBe4 sent it (raw bytes, hashed natively while they stream in), for
 * one run's client: a page whose bytes did not change needs neither a per-record fingerprint nor a diff. It wraps
 * the process's shared connection pool and owns nothing that needs closing.
 */
export class PageFingerprints {
  readonly dispatcher: Dispatcher;
  private readonly byPage = new Map<string, string>();

  constructor(base: Dispatcher) {
    this.dispatcher = base.compose(
      (dispatch) => (options, handler) =>
        dispatch(options, new FingerprintHandler(handler, (fingerprint) => this.record(options.path, fingerprint))),
    );
  }

  /** The fingerprint of the latest 200 answer for a page of `path` (taken once), if one arrived. */
  take(path: string, page: number): string | undefined {
    const key = pageKey(path, page);
    const fingerprint = this.byPage.get(key);
    this.byPage.delete(key);
    return fingerprint;
  }

  private record(requestPath: string, fingerprint: string): void {
    const queryAt = requestPath.indexOf('?');
    if (queryAt < 0) return;
    const page = new URLSearchParams(requestPath.slice(queryAt + 1)).get('page');
    if (page !== null) this.byPage.set(pageKey(requestPath.slice(0, queryAt), page), fingerprint);
  }
}
