import { KnowBe4RequestError, type ReportingClient } from '@kb4/knowbe4';
import { createHash } from 'node:crypto';
import { CursorRejectedError, fetchPages, FetchedPage } from './page-fetcher';

/**
 * A list of `total` records served `perPage` at a time; `failAt` answers that page with an error. With `cursor` in
 * the query it answers in cursor mode (a cursor that changes on every answer, as an expiring one would), unless
 * `legacy` (an API without cursors: page 1 as a bare array); an unknown cursor is a 400. `chunkSize` splits bodies.
 */
function fakeClient(
  total: number,
  options: { failAt?: number; legacy?: boolean; chunkSize?: number } = {},
): { client: ReportingClient; requested: Array<number | string>; aborted: Array<number | string>; parsed: Array<number | string> } {
  const requested: Array<number | string> = [];
  const parsed: Array<number | string> = [];
  const aborted: Array<number | string> = [];
  let nonce = 0;
  const client = {
    getRawPage: (_path: string, query: { page?: number; per_page: number; cursor?: string }, call?: { signal?: AbortSignal }) => {
      const cursorMode = query.cursor !== undefined && !options.legacy;
      const after = !cursorMode ? undefined : query.cursor === 'true' ? 0 : Number(/^after:(\d+):/.exec(Buffer.from(query.cursor!, 'base64url').toString())?.[1] ?? NaN);
      const label = cursorMode ? `after:${after}` : (query.page ?? 1);
      requested.push(label);
      return new Promise((resolve, reject) => {
        let settled = false;
        const onAbort = (): void => {
          if (settled) return;
          clearTimeout(timer);
          aborted.push(label);
          reject(new Error('aborted'));
        };
        const timer = setTimeout(() => {
          settled = true;
          call?.signal?.removeEventListener('abort', onAbort); // as undici does once a request is done
          if (after !== undefined && Number.isNaN(after)) return reject(new KnowBe4RequestError({ status: 400, message: 'Invalid cursor' }));
          const start = after ?? ((query.page ?? 1) - 1) * query.per_page;
          if (options.failAt !== undefined && (query.page === options.failAt || after === (options.failAt - 1) * query.per_page)) {
            return reject(new Error(`page ${options.failAt} failed`));
          }
          const records = Array.from({ length: Math.max(0, Math.min(query.per_page, total - start)) }, (_, i) => ({ id: start + i + 1 }));
          const more = start + records.length < total;
          const nextCursor = cursorMode && more ? Buffer.from(`after:${start + records.length}:${nonce++}`).toString('base64url') : '';
          const body = cursorMode ? { data: records, _metadata: { next_cursor: nextCursor } } : records;
          const bytes = Buffer.from(JSON.stringify(body));
          const size = options.chunkSize ?? bytes.length;
          const chunks: Buffer[] = [];
          for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
          resolve({
            status: 200,
            chunks,
            json: () => {
              parsed.push(label);
              return JSON.parse(bytes.toString()) as unknown;
            },
            attempts: 1,
          });
        }, 5);
        call?.signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
  return { client: client as unknown as ReportingClient, requested, aborted, parsed };
}

async function collect(batches: AsyncGenerator<FetchedPage[]>): Promise<number[][]> {
  const pages: number[][] = [];
  for await (const batch of batches) pages.push(batch.map((p) => p.page));
  return pages;
}

describe('fetchPages', () => {
  it('yields every page once, in order, ending after a short page without asking for more than it needs', async () => {
    const { client, requested } = fakeClient(23);
    const batches = await collect(fetchPages(client, '/users', {}, { startPage: 1, pagination: 'page', perPage: 5, concurrency: 1 }));
    expect(batches).toEqual([[1], [2], [3], [4], [5]]);
    expect(requested).toEqual([1, 2, 3, 4, 5]);
  });

  it('batches consecutive pages that have already arrived, never past the end of the list', async () => {
    const { client } = fakeClient(40);
    const batches: number[][] = [];
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'page', perPage: 5, concurrency: 4, maxBatch: 3 })) {
      batches.push(batch.map((p) => p.page));
      await new Promise((resolve) => setTimeout(resolve, 30)); // a slow consumer lets pages pile up
    }
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(batches.some((batch) => batch.length > 1)).toBe(true);
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(3);
  });

  it('surfaces a failure when its page is due, after every earlier page, and aborts the pages fetched ahead', async () => {
    const { client, aborted } = fakeClient(100, { failAt: 3 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'page', perPage: 5, concurrency: 3 })) seen.push(...batch.map((p) => p.page));
      })(),
    ).rejects.toThrow('page 3 failed');
    expect(seen).toEqual([1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(aborted.length).toBeGreaterThan(0);
  });

  it('fingerprints the raw bytes and parses only pages whose size the caller does not already know', async () => {
    const { client, parsed } = fakeClient(12);
    const sha1 = (records: unknown[]): string => createHash('sha1').update(JSON.stringify(records)).digest('base64');
    const page2 = sha1(Array.from({ length: 5 }, (_, i) => ({ id: 6 + i })));
    const pages: FetchedPage[] = [];
    const knownLength = (page: number, fingerprint: string): number | undefined => (page === 2 && fingerprint === page2 ? 5 : undefined);
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'page', perPage: 5, concurrency: 2, knownLength })) pages.push(...batch);
    expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(pages[1].fingerprint).toBe(page2);
    expect(pages[1].isParsed).toBe(false);
    expect(parsed).toEqual([1, 3]);
    expect(pages[1].records).toHaveLength(5);
    expect(parsed).toEqual([1, 3, 2]);
  });

  it('aborts requests in flight when the caller stops early', async () => {
    const { client, aborted, requested } = fakeClient(100);
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 4, pagination: 'page', perPage: 5, concurrency: 3 })) {
      expect(batch[0].page).toBe(4);
      break;
    }
    // page 4's arrival already refilled the window: three requests were in flight, all aborted
    expect(requested).toEqual([4, 5, 6, 7]);
    expect((aborted as number[]).sort((a, b) => a - b)).toEqual([5, 6, 7]);
  });

  it('keeps `concurrency` requests in flight while the caller is busy, at most concurrency + maxBatch pages ahead', async () => {
    const { client, requested } = fakeClient(1000);
    let most = 0;
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'page', perPage: 5, concurrency: 2, maxBatch: 2 })) {
      await new Promise((resolve) => setTimeout(resolve, 40)); // a slow commit
      most = Math.max(most, Math.max(...(requested as number[])) - batch[batch.length - 1].page);
      if (batch[0].page > 12) break;
    }
    expect(most).toBeGreaterThanOrEqual(3); // the old fetcher stopped at `concurrency` (2) ahead
    expect(most).toBeLessThanOrEqual(4);
  });
});

describe('fetchPages with cursors', () => {
  const sha1 = (records: unknown[]): string => createHash('sha1').update(JSON.stringify(records)).digest('base64');
  const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: from + i }));

  it('walks cursor=true then each next_cursor, one request at a time, numbering pages from 1 and ending at an empty cursor', async () => {
    const { client, requested } = fakeClient(25);
    const pages: FetchedPage[] = [];
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'auto', perPage: 5, concurrency: 4 })) pages.push(...batch);
    expect(pages.map((p) => [p.page, p.pagination])).toEqual([1, 2, 3, 4, 5].map((page) => [page, 'cursor']));
    // a full last page ends the walk by its empty cursor, without a confirming request
    expect(requested).toEqual(['after:0', 'after:5', 'after:10', 'after:15', 'after:20']);
    expect(pages[4].nextCursor).toBe('');
    expect(pages.flatMap((p) => p.records)).toEqual(ids(1, 25));
  });

  it('falls back to page numbers when the first cursor request is answered with a bare array, keeping that answer as page 1', async () => {
    const { client, requested } = fakeClient(12, { legacy: true });
    const fallbacks: string[] = [];
    const pages: FetchedPage[] = [];
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'auto', perPage: 5, concurrency: 2, onPageModeFallback: () => fallbacks.push('page') })) {
      pages.push(...batch);
    }
    // pages 2 and on were asked for by number, two at a time (one beyond the short page may have gone out too)
    expect(requested.slice(0, 3)).toEqual([1, 2, 3]);
    expect(pages.map((p) => [p.page, p.pagination])).toEqual([[1, 'page'], [2, 'page'], [3, 'page']]);
    expect(pages.flatMap((p) => p.records)).toEqual(ids(1, 12));
    expect(fallbacks).toEqual(['page']);
  });

  it('refuses a bare array when cursors were asked for explicitly', async () => {
    const { client } = fakeClient(12, { legacy: true });
    await expect(collect(fetchPages(client, '/users', {}, { startPage: 1, pagination: 'cursor', perPage: 5, concurrency: 1 }))).rejects.toThrow(/bare array/);
  });

  it('fingerprints only the data bytes (the same digest as the page-mode array), reads the cursor without parsing, split into any chunks', async () => {
    for (const chunkSize of [undefined, 7, 50]) {
      const { client, parsed } = fakeClient(12, { chunkSize });
      const page2 = sha1(ids(6, 5));
      const knownLength = (page: number, fingerprint: string): number | undefined => (page === 2 && fingerprint === page2 ? 5 : undefined);
      const pages: FetchedPage[] = [];
      for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, pagination: 'cursor', perPage: 5, concurrency: 1, knownLength })) pages.push(...batch);
      expect(pages.map((p) => p.fingerprint)).toEqual([sha1(ids(1, 5)), page2, sha1(ids(11, 2))]);
      expect(pages.map((p) => p.isParsed)).toEqual([false, false, false]);
      expect(parsed).toEqual([]);
      expect(pages[2].records).toEqual(ids(11, 2));
    }
  });

  it('resumes from a stored cursor, and reports a refused one as CursorRejectedError (a refused first request stays what it was)', async () => {
    const { client, requested } = fakeClient(20);
    const startCursor = Buffer.from('after:10:x').toString('base64url');
    const pages: number[][] = await collect(fetchPages(client, '/users', {}, { startPage: 3, pagination: 'cursor', startCursor, perPage: 5, concurrency: 1 }));
    expect(pages.flat()).toEqual([3, 4]);
    expect(requested).toEqual(['after:10', 'after:15']);

    const rejected = collect(fetchPages(client, '/users', {}, { startPage: 3, pagination: 'cursor', startCursor: 'expired', perPage: 5, concurrency: 1 }));
    await expect(rejected).rejects.toBeInstanceOf(CursorRejectedError);
  });
});
