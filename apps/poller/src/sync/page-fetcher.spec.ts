import type { ReportingClient } from '@kb4/knowbe4';
import { createHash } from 'node:crypto';
import { fetchPages, FetchedPage } from './page-fetcher';

/** A list of `total` records served `perPage` at a time; `failAt` answers that page with an error. */
function fakeClient(
  total: number,
  options: { failAt?: number } = {},
): { client: ReportingClient; requested: number[]; aborted: number[]; parsed: number[] } {
  const requested: number[] = [];
  const parsed: number[] = [];
  const aborted: number[] = [];
  const client = {
    getRawPage: (_path: string, query: { page: number; per_page: number }, call?: { signal?: AbortSignal }) => {
      requested.push(query.page);
      return new Promise((resolve, reject) => {
        let settled = false;
        const onAbort = (): void => {
          if (settled) return;
          clearTimeout(timer);
          aborted.push(query.page);
          reject(new Error('aborted'));
        };
        const timer = setTimeout(() => {
          settled = true;
          call?.signal?.removeEventListener('abort', onAbort); // as undici does once a request is done
          if (query.page === options.failAt) return reject(new Error(`page ${query.page} failed`));
          const start = (query.page - 1) * query.per_page;
          const body = Array.from({ length: Math.max(0, Math.min(query.per_page, total - start)) }, (_, i) => ({ id: start + i + 1 }));
          resolve({
            status: 200,
            chunks: [Buffer.from(JSON.stringify(body))],
            json: () => {
              parsed.push(query.page);
              return body;
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
    const batches = await collect(fetchPages(client, '/users', {}, { startPage: 1, perPage: 5, concurrency: 1 }));
    expect(batches).toEqual([[1], [2], [3], [4], [5]]);
    expect(requested).toEqual([1, 2, 3, 4, 5]);
  });

  it('batches consecutive pages that have already arrived, never past the end of the list', async () => {
    const { client } = fakeClient(40);
    const batches: number[][] = [];
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, perPage: 5, concurrency: 4, maxBatch: 3 })) {
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
        for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, perPage: 5, concurrency: 3 })) seen.push(...batch.map((p) => p.page));
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
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, perPage: 5, concurrency: 2, knownLength })) pages.push(...batch);
    expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(pages[1].fingerprint).toBe(page2);
    expect(pages[1].isParsed).toBe(false);
    expect(parsed).toEqual([1, 3]);
    expect(pages[1].records).toHaveLength(5);
    expect(parsed).toEqual([1, 3, 2]);
  });

  it('aborts requests in flight when the caller stops early', async () => {
    const { client, aborted, requested } = fakeClient(100);
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 4, perPage: 5, concurrency: 3 })) {
      expect(batch[0].page).toBe(4);
      break;
    }
    // page 4's arrival already refilled the window: three requests were in flight, all aborted
    expect(requested).toEqual([4, 5, 6, 7]);
    expect(aborted.sort((a, b) => a - b)).toEqual([5, 6, 7]);
  });

  it('keeps `concurrency` requests in flight while the caller is busy, at most concurrency + maxBatch pages ahead', async () => {
    const { client, requested } = fakeClient(1000);
    let most = 0;
    for await (const batch of fetchPages(client, '/users', {}, { startPage: 1, perPage: 5, concurrency: 2, maxBatch: 2 })) {
      await new Promise((resolve) => setTimeout(resolve, 40)); // a slow commit
      most = Math.max(most, Math.max(...requested) - batch[batch.length - 1].page);
      if (batch[0].page > 12) break;
    }
    expect(most).toBeGreaterThanOrEqual(3); // the old fetcher stopped at `concurrency` (2) ahead
    expect(most).toBeLessThanOrEqual(4);
  });
});
