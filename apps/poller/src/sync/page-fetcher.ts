import type { Query, ReportingClient } from '@kb4/knowbe4';
import type { PageFingerprints } from './page-fingerprints';

export interface FetchedPage {
  page: number;
  /** Entries as KnowBe4 sent them; `null` and other dirty entries are left for the caller to skip and count. */
  records: unknown[];
  /** sha1 of the page's raw bytes, when the client's dispatcher fingerprints responses. */
  fingerprint?: string;
}

/**
 * Pages of a page/per_page list from `startPage` on, in order, with up to `concurrency` requests in flight
 * (each still paced by the client). Ends at the first empty or short page. A failure surfaces when its page
 * is due, so every yielded page comes before the failure. Requests still in flight when the caller stops (end,
 * break, failure) are aborted, so no retry or backoff timer outlives the run.
 */
export async function* fetchPages(
  client: ReportingClient,
  path: string,
  query: Query,
  options: { startPage: number; perPage: number; concurrency: number; signal?: AbortSignal; fingerprints?: PageFingerprints },
): AsyncGenerator<FetchedPage, void, undefined> {
  const inFlight = new Map<number, Promise<FetchedPage>>();
  const stop = new AbortController();
  const forward = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  let next = options.startPage;
  const request = (page: number): Promise<FetchedPage> => {
    const promise = client.getRaw(path, { ...query, page, per_page: options.perPage }, { signal: stop.signal }).then((response) => {
      if (!Array.isArray(response.body)) throw new Error(`KnowBe4 answered ${path} page ${page} with something other than an array`);
      return { page, records: response.body as unknown[], fingerprint: options.fingerprints?.take(path, page) };
    });
    // handled when its turn comes; avoids an unhandled rejection for pages fetched ahead of a failure
    promise.catch(() => undefined);
    return promise;
  };
  try {
    for (let page = options.startPage; ; page++) {
      while (next < page + options.concurrency) {
        inFlight.set(next, request(next));
        next += 1;
      }
      const fetched = await inFlight.get(page)!;
      inFlight.delete(page);
      if (fetched.records.length === 0) return;
      yield fetched;
      if (fetched.records.length < options.perPage) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', forward);
    stop.abort();
    inFlight.clear();
  }
}
