import type { Query, ReportingClient } from '@kb4/knowbe4';
import type { PageFingerprints } from './page-fingerprints';

export interface FetchedPage {
  page: number;
  /** Entries as KnowBe4 sent them; `null` and other dirty entries are left for the caller to skip and count. */
  records: unknown[];
  /** sha1 of the page's raw bytes, when the client's dispatcher fingerprints responses. */
  fingerprint?: string;
}

export interface FetchPagesOptions {
  startPage: number;
  perPage: number;
  concurrency: number;
  /** Most consecutive pages yielded together (those already fetched when the first one is due); default 1. */
  maxBatch?: number;
  signal?: AbortSignal;
  fingerprints?: PageFingerprints;
}

/**
 * Pages of a page/per_page list from `startPage` on, in order, with up to `concurrency` requests in flight
 * (each still paced by the client), yielded in batches of consecutive pages: the page that is due plus those
 * after it that have already arrived. Ends at the first empty or short page. A failure surfaces when its page
 * is due, so every yielded page comes before the failure. Requests still in flight when the caller stops (end,
 * break, failure) are aborted, so no retry or backoff timer outlives the run.
 */
export async function* fetchPages(
  client: ReportingClient,
  path: string,
  query: Query,
  options: FetchPagesOptions,
): AsyncGenerator<FetchedPage[], void, undefined> {
  const inFlight = new Map<number, Promise<FetchedPage>>();
  const arrived = new Map<number, FetchedPage>();
  const maxBatch = Math.max(1, options.maxBatch ?? 1);
  const stop = new AbortController();
  const forward = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  let next = options.startPage;
  const request = (page: number): Promise<FetchedPage> => {
    const promise = client.getRaw(path, { ...query, page, per_page: options.perPage }, { signal: stop.signal }).then((response) => {
      if (!Array.isArray(response.body)) throw new Error(`KnowBe4 answered ${path} page ${page} with something other than an array`);
      const fetched = { page, records: response.body as unknown[], fingerprint: options.fingerprints?.take(path, page) };
      arrived.set(page, fetched);
      return fetched;
    });
    // handled when its turn comes; avoids an unhandled rejection for pages fetched ahead of a failure
    promise.catch(() => undefined);
    return promise;
  };
  const take = (page: number): void => {
    inFlight.delete(page);
    arrived.delete(page);
  };
  try {
    for (let page = options.startPage; ; ) {
      while (next < page + options.concurrency) {
        inFlight.set(next, request(next));
        next += 1;
      }
      const first = await inFlight.get(page)!;
      take(page);
      if (first.records.length === 0) return;
      const batch = [first];
      let last = first.records.length < options.perPage;
      while (!last && batch.length < maxBatch && arrived.has(page + batch.length)) {
        const following = arrived.get(page + batch.length)!;
        take(following.page);
        if (following.records.length === 0) {
          last = true;
          break;
        }
        batch.push(following);
        last = following.records.length < options.perPage;
      }
      yield batch;
      if (last) return;
      page += batch.length;
    }
  } finally {
    options.signal?.removeEventListener('abort', forward);
    stop.abort();
    inFlight.clear();
    arrived.clear();
  }
}
