import { KnowBe4NotFoundError, KnowBe4RequestError, type Query, type ReportingClient } from '@kb4/knowbe4';
import { cursorLayout, cursorModeBody, isBareArray, ListBody, pageModeBody } from './list-body';

export { rawPageFingerprint } from './list-body';

/** How a list is walked: KnowBe4's page numbers, or its cursors (`cursor=true`, then `_metadata.next_cursor`). */
export type ListPagination = 'page' | 'cursor';
/** `auto`: cursors, unless the tenant answers `cursor=true` with a bare array (an older API): then page numbers. */
export type PaginationSetting = 'auto' | ListPagination;

/** One list page as KnowBe4 sent it: fingerprinted on arrival, parsed only when its records are read. */
export class FetchedPage {
  private parsed?: unknown[];

  constructor(
    /** The page's position in this walk, from 1 (in cursor mode too). */
    readonly page: number,
    readonly pagination: ListPagination,
    private readonly body: ListBody,
    /** Entries on the page when known without parsing (a page whose bytes match a stored fingerprint). */
    private readonly knownLength?: number,
  ) {}

  /** sha1 (base64) of the records' raw bytes (see ListBody). */
  get fingerprint(): string {
    return this.body.fingerprint;
  }

  /** Cursor mode: the cursor of the next page, `''` after the last one (what a checkpoint keeps). */
  get nextCursor(): string | undefined {
    return this.body.nextCursor;
  }

  /** Entries as KnowBe4 sent them; `null` and other dirty entries are left for the caller to skip and count. */
  get records(): unknown[] {
    this.parsed ??= this.body.records();
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

/** KnowBe4 refused a cursor it had handed out (expired, or from before a change on its side). */
export class CursorRejectedError extends Error {
  constructor(
    readonly page: number,
    readonly rejection: KnowBe4RequestError | KnowBe4NotFoundError,
  ) {
    super(`KnowBe4 rejected the cursor of page ${page} (${rejection.status ?? '?'}: ${rejection.message})`);
    this.name = 'CursorRejectedError';
  }
}

export interface FetchPagesOptions {
  /** The position of the first page to fetch. */
  startPage: number;
  /**
   * `page`: page numbers from `startPage`. `cursor`: from `startCursor` (`'true'`, the default, starts the list).
   * `auto`: like `cursor` from the start of the list, switching to page numbers (the first answer is page 1) when
   * the tenant answers with a bare array.
   */
  pagination: PaginationSetting;
  startCursor?: string;
  perPage: number;
  /** Page mode: requests in flight. A cursor walk has one (each page needs the previous page's cursor). */
  concurrency: number;
  /** Most consecutive pages yielded together (those already fetched when the first one is due); default 1. */
  maxBatch?: number;
  signal?: AbortSignal;
  /**
   * The number of entries of a page whose raw bytes have this fingerprint, if the caller knows it (from the
   * page's last commit); such a page is not parsed just to learn whether it was the last one.
   */
  knownLength?: (page: number, fingerprint: string) => number | undefined;
  /** Called once when an `auto` walk finds the tenant answering cursor requests with bare arrays. */
  onPageModeFallback?: () => void;
}

/**
 * Pages of a list from `startPage` on, in order, yielded in batches of consecutive pages: the page that is due plus
 * those after it that have already arrived. Requests go on while the caller is busy with earlier pages, up to
 * `concurrency + maxBatch` pages ahead of it: in page mode `concurrency` at a time (each still paced by the client),
 * in cursor mode one after the other, each as soon as the previous page's cursor is known (read from the body's
 * last bytes, without parsing it). Page mode ends at the first empty or short page, cursor mode at an empty
 * `next_cursor`. A failure surfaces when its page is due, so every yielded page comes before it; a rejected cursor
 * other than the first request's surfaces as CursorRejectedError. Requests still in flight when the caller stops
 * (end, break, failure) are aborted, so no retry or backoff timer outlives the run.
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
  // `probe`: an auto walk's first request, whose answer decides between cursors and page numbers
  let mode: ListPagination | 'probe' = options.pagination === 'page' ? 'page' : options.pagination === 'cursor' || options.startPage > 1 ? 'cursor' : 'probe';
  /** Cursor mode: the cursor of each page that can be requested (known once the page before it arrived). */
  const cursors = new Map<number, string>([[options.startPage, options.startCursor ?? 'true']]);
  const usedCursors = new Set<string>();
  let next = options.startPage;
  let due = options.startPage;
  let pending = 0;
  // the last, an empty or a failed page ends the list: nothing after it is requested any more
  let ended = false;
  const refill = (): void => {
    const limit = mode === 'page' ? options.concurrency : 1;
    while (!ended && !stop.signal.aborted && pending < limit && next < due + window && (mode === 'page' || cursors.has(next))) {
      inFlight.set(next, request(next));
      next += 1;
    }
  };
  /** Cursor mode: makes the page after `page` requestable (or ends the walk). */
  const follow = (page: number, following: string): void => {
    // a cursor that comes round again would page forever
    if (following !== '' && usedCursors.has(following)) throw new Error(`KnowBe4 repeated the cursor after page ${page} of ${path}`);
    if (following === '') ended = true;
    else cursors.set(page + 1, following);
  };
  const arrive = (page: number, body: ListBody, pagination: ListPagination, followed = false): FetchedPage => {
    const fetched = new FetchedPage(page, pagination, body, options.knownLength?.(page, body.fingerprint));
    if (pagination === 'cursor') {
      if (!followed) follow(page, body.nextCursor ?? '');
    } else if (fetched.length < options.perPage) ended = true;
    // only a page that is whole joins a batch without its promise being awaited
    arrived.set(page, fetched);
    return fetched;
  };
  const request = (page: number): Promise<FetchedPage> => {
    pending += 1;
    const asked = mode;
    const cursor = cursors.get(page);
    cursors.delete(page);
    if (asked !== 'page') usedCursors.add(cursor!);
    const pageQuery: Query = asked === 'page' ? { ...query, page, per_page: options.perPage } : { ...query, cursor, per_page: options.perPage };
    const promise = client.getRawPage(path, pageQuery, { signal: stop.signal }).then(
      (response) => {
        pending -= 1;
        const parse = () => response.json();
        let fetched: FetchedPage;
        try {
          if (asked === 'page') fetched = arrive(page, pageModeBody(response.chunks, parse, page), 'page');
          else if (isBareArray(response.chunks)) {
            // an older API ignores `cursor` and answers page 1 of page/per_page: walk page numbers from here on
            if (asked !== 'probe') throw new Error(`KnowBe4 answered a cursor request for ${path} with a bare array (SYNC_PAGINATION=auto walks page numbers then)`);
            mode = 'page';
            options.onPageModeFallback?.();
            fetched = arrive(page, pageModeBody(response.chunks, parse, page), 'page');
          } else {
            if (asked === 'probe') mode = 'cursor';
            const layout = cursorLayout(response.chunks);
            if (layout) {
              // the next request leaves before this page is fingerprinted: a cursor walk has nothing else in flight
              follow(page, layout.nextCursor);
              refill();
            }
            fetched = arrive(page, cursorModeBody(response.chunks, parse, page, layout), 'cursor', layout !== undefined);
          }
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
        if (asked !== 'page' && cursor !== 'true' && (error instanceof KnowBe4RequestError || error instanceof KnowBe4NotFoundError)) {
          throw new CursorRejectedError(page, error);
        }
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
  /** The list ends with this page: short (page mode) or without a next cursor. */
  const isLast = (page: FetchedPage): boolean => (page.pagination === 'cursor' ? page.nextCursor === '' : page.length < options.perPage);
  try {
    for (let page = options.startPage; ; ) {
      due = page;
      refill();
      const first = await inFlight.get(page)!;
      take(page);
      // page mode ends at an empty page; in cursor mode an empty page still carries the walk's position
      if (first.pagination === 'page' && first.length === 0) return;
      const batch = [first];
      let last = isLast(first);
      while (!last && batch.length < maxBatch && arrived.has(page + batch.length)) {
        const following = arrived.get(page + batch.length)!;
        take(following.page);
        if (following.pagination === 'page' && following.length === 0) {
          last = true;
          break;
        }
        batch.push(following);
        last = isLast(following);
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
