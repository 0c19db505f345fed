import { createHash, hash } from 'node:crypto';
import type { Query, ReportingClient } from '@kb4/knowbe4';

/** One list page as KnowBe4 sent it: fingerprinted on arrival, parsed only when its records are read. */
export class FetchedPage {
  private parsed?: unknown[];

  constructor(
    readonly page: number,
    /** sha1 (base64) of the page's raw bytes. */
    readonly fingerprint: string,
    private readonly parse: () => unknown,
    /** Entries on the page when known without parsing (a page whose bytes match a stored fingerprint). */
    private readonly knownLength?: number,
  ) {}

  /** Entries as KnowBe4 sent them; `null` and other dirty entries are left for the caller to skip and count. */
  get records(): unknown[] {
    if (this.parsed === undefined) {
      const body = this.parse();
      if (!Array.isArray(body)) throw new Error(`KnowBe4 answered page ${this.page} with something other than an array`);
      this.parsed = body as unknown[];
    }
    return this.parsed;
  }

  get length(): number {
    return this.parsed?.length ?? this.knownLength ?? this.records.length;
  }

  /** Whether the records were parsed (a page settled by its fingerprint never is). */
  get isParsed(): boolean {
    return this.parsed !== undefined;
  }
}

export interface FetchPagesOptions {
  startPage: number;
  perPage: number;
  concurrency: number;
  /** Most consecutive pages yielded together (those already fetched when the first one is due); default 1. */
  maxBatch?: number;
  signal?: AbortSignal;
  /**
   * The number of entries of a page whose raw bytes have this fingerprint, if the caller knows it (from the
   * page's last commit); such a page is not parsed just to learn whether it was the last one.
   */
  knownLength?: (page: number, fingerprint: string) => number | undefined;
}

/** sha1 of a page's raw bytes (as the chunks they arrived in), base64 — the same digest earlier runs stored. */
export function rawPageFingerprint(chunks: readonly Buffer[]): string {
  if (chunks.length === 1) return hash('sha1', chunks[0], 'base64');
  const sha1 = createHash('sha1');
  for (const chunk of chunks) sha1.update(chunk);
  return sha1.digest('base64');
}

/**
 * Pages of a page/per_page list from `startPage` on, in order, with up to `concurrency` requests in flight
 * (each still paced by the client) — refilled as pages arrive, also while the caller is busy with earlier
 * pages, up to `concurrency + maxBatch` pages ahead of it — yielded in batches of consecutive pages: the page that is due plus those
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
  // pages fetched but not yet taken stay bounded while the caller is busy committing
  const window = options.concurrency + maxBatch;
  const stop = new AbortController();
  const forward = (): void => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  let next = options.startPage;
  let due = options.startPage;
  let pending = 0;
  // a short, empty or failed page ends the list: nothing after it is requested any more
  let ended = false;
  const refill = (): void => {
    while (!ended && !stop.signal.aborted && pending < options.concurrency && next < due + window) {
      inFlight.set(next, request(next));
      next += 1;
    }
  };
  const request = (page: number): Promise<FetchedPage> => {
    pending += 1;
    const promise = client.getRawPage(path, { ...query, page, per_page: options.perPage }, { signal: stop.signal }).then(
      (response) => {
        pending -= 1;
        const fingerprint = rawPageFingerprint(response.chunks);
        const fetched = new FetchedPage(page, fingerprint, () => response.json(), options.knownLength?.(page, fingerprint));
        arrived.set(page, fetched);
        try {
          if (fetched.length < options.perPage) ended = true;
        } catch (error) {
          ended = true;
          throw error;
        }
        // keep requests going while the caller is still committing earlier pages
        refill();
        return fetched;
      },
      (error: unknown) => {
        pending -= 1;
        ended = true;
        throw error;
      },
    );
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
      due = page;
      refill();
      const first = await inFlight.get(page)!;
      take(page);
      if (first.length === 0) return;
      const batch = [first];
      let last = first.length < options.perPage;
      while (!last && batch.length < maxBatch && arrived.has(page + batch.length)) {
        const following = arrived.get(page + batch.length)!;
        take(following.page);
        if (following.length === 0) {
          last = true;
          break;
        }
        batch.push(following);
        last = following.length < options.perPage;
      }
      // the window moves on as soon as the batch is handed over, so fetching continues while it is committed
      due = page + batch.length;
      refill();
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
