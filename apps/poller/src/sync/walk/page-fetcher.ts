import { KnowBe4NotFoundError, KnowBe4RequestError, type Query, type RawTransportResponse, type ReportingClient } from '@kb4/knowbe4';
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
export function fetchPages(client: ReportingClient, path: string, query: Query, options: FetchPagesOptions): AsyncGenerator<FetchedPage[], void, undefined> {
  return new PageWalk(client, path, query, options).batches();
}

/** `probe`: an auto walk's first request, whose answer decides between cursors and page numbers. */
type WalkMode = ListPagination | 'probe';

/** One walk of a list behind a bounded read-ahead window (see fetchPages). */
class PageWalk {
  private readonly inFlight = new Map<number, Promise<FetchedPage>>();
  /** Pages that arrived whole: only those join a batch without their promise being awaited. */
  private readonly arrived = new Map<number, FetchedPage>();
  private readonly maxBatch: number;
  /** Pages fetched but not yet taken stay bounded while the caller is busy committing. */
  private readonly window: number;
  private readonly stop = new AbortController();
  private mode: WalkMode;
  /** Cursor mode: the cursor of each page that can be requested (known once the page before it arrived). */
  private readonly cursors = new Map<number, string>();
  private readonly usedCursors = new Set<string>();
  /** The next page to request. */
  private next: number;
  /** The first page the caller has not taken yet. */
  private due: number;
  private pending = 0;
  /** The last, an empty or a failed page ends the list: nothing after it is requested any more. */
  private ended = false;

  constructor(
    private readonly client: ReportingClient,
    private readonly path: string,
    private readonly query: Query,
    private readonly options: FetchPagesOptions,
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 1);
    this.window = options.concurrency + this.maxBatch;
    this.mode = options.pagination === 'page' ? 'page' : options.pagination === 'cursor' || options.startPage > 1 ? 'cursor' : 'probe';
    this.cursors.set(options.startPage, options.startCursor ?? 'true');
    this.next = options.startPage;
    this.due = options.startPage;
  }

  async *batches(): AsyncGenerator<FetchedPage[], void, undefined> {
    const signal = this.options.signal;
    const forward = (): void => this.stop.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      for (let page = this.options.startPage; ; ) {
        const taken = await this.takeBatch(page);
        if (!taken) return;
        yield taken.batch;
        if (taken.last) return;
        page += taken.batch.length;
      }
    } finally {
      signal?.removeEventListener('abort', forward);
      this.stop.abort();
      this.inFlight.clear();
      this.arrived.clear();
    }
  }

  /** Waits for `page`, then takes the pages after it that already arrived; undefined when the list ended before it. */
  private async takeBatch(page: number): Promise<{ batch: FetchedPage[]; last: boolean } | undefined> {
    this.due = page;
    this.refill();
    const first = await this.inFlight.get(page)!;
    this.take(page);
    // page mode ends at an empty page; in cursor mode an empty page still carries the walk's position
    if (first.pagination === 'page' && first.length === 0) return undefined;
    const batch = [first];
    let last = this.isLast(first);
    while (!last && batch.length < this.maxBatch && this.arrived.has(page + batch.length)) {
      const following = this.arrived.get(page + batch.length)!;
      this.take(following.page);
      if (following.pagination === 'page' && following.length === 0) {
        last = true;
        break;
      }
      batch.push(following);
      last = this.isLast(following);
    }
    // the window moves on as soon as the batch is handed over, so fetching continues while it is committed
    this.due = page + batch.length;
    this.refill();
    return { batch, last };
  }

  /** Requests pages while the window and the mode allow. */
  private refill(): void {
    const limit = this.mode === 'page' ? this.options.concurrency : 1;
    while (!this.ended && !this.stop.signal.aborted && this.pending < limit && this.next < this.due + this.window && (this.mode === 'page' || this.cursors.has(this.next))) {
      this.inFlight.set(this.next, this.request(this.next));
      this.next += 1;
    }
  }

  private request(page: number): Promise<FetchedPage> {
    this.pending += 1;
    const asked = this.mode;
    const cursor = this.cursors.get(page);
    this.cursors.delete(page);
    if (asked !== 'page') this.usedCursors.add(cursor!);
    const { perPage } = this.options;
    const pageQuery: Query = asked === 'page' ? { ...this.query, page, per_page: perPage } : { ...this.query, cursor, per_page: perPage };
    const promise = this.client.getRawPage(this.path, pageQuery, { signal: this.stop.signal }).then(
      (response) => {
        this.pending -= 1;
        const fetched = this.received(page, asked, response);
        // keep requests going while the caller is still committing earlier pages
        this.refill();
        return fetched;
      },
      (error: unknown) => {
        this.pending -= 1;
        this.ended = true;
        if (asked !== 'page' && cursor !== 'true' && (error instanceof KnowBe4RequestError || error instanceof KnowBe4NotFoundError)) {
          throw new CursorRejectedError(page, error);
        }
        throw error;
      },
    );
    // handled when its turn comes; avoids an unhandled rejection for pages fetched ahead of a failure
    promise.catch(() => undefined);
    return promise;
  }

  /** A page's answer: its body in the mode it was asked in (an auto walk's probe decides the mode here). */
  private received(page: number, asked: WalkMode, response: RawTransportResponse): FetchedPage {
    const parse = (): unknown => response.json();
    try {
      if (asked === 'page') return this.arrive(page, pageModeBody(response.chunks, parse, page), 'page');
      if (isBareArray(response.chunks)) {
        // an older API ignores `cursor` and answers page 1 of page/per_page: walk page numbers from here on
        if (asked !== 'probe') throw new Error(`KnowBe4 answered a cursor request for ${this.path} with a bare array (SYNC_PAGINATION=auto walks page numbers then)`);
        this.mode = 'page';
        this.options.onPageModeFallback?.();
        return this.arrive(page, pageModeBody(response.chunks, parse, page), 'page');
      }
      if (asked === 'probe') this.mode = 'cursor';
      const layout = cursorLayout(response.chunks);
      if (layout) {
        // the next request leaves before this page is fingerprinted: a cursor walk has nothing else in flight
        this.follow(page, layout.nextCursor);
        this.refill();
      }
      return this.arrive(page, cursorModeBody(response.chunks, parse, page, layout), 'cursor', layout !== undefined);
    } catch (error) {
      this.ended = true;
      throw error;
    }
  }

  /** Cursor mode: makes the page after `page` requestable (or ends the walk). */
  private follow(page: number, following: string): void {
    // a cursor that comes round again would page forever
    if (following !== '' && this.usedCursors.has(following)) throw new Error(`KnowBe4 repeated the cursor after page ${page} of ${this.path}`);
    if (following === '') this.ended = true;
    else this.cursors.set(page + 1, following);
  }

  private arrive(page: number, body: ListBody, pagination: ListPagination, followed = false): FetchedPage {
    const fetched = new FetchedPage(page, pagination, body, this.options.knownLength?.(page, body.fingerprint));
    if (pagination === 'cursor') {
      if (!followed) this.follow(page, body.nextCursor ?? '');
    } else if (fetched.length < this.options.perPage) this.ended = true;
    this.arrived.set(page, fetched);
    return fetched;
  }

  private take(page: number): void {
    this.inFlight.delete(page);
    this.arrived.delete(page);
  }

  /** The list ends with this page: short (page mode) or without a next cursor. */
  private isLast(page: FetchedPage): boolean {
    return page.pagination === 'cursor' ? page.nextCursor === '' : page.length < this.options.perPage;
  }
}
