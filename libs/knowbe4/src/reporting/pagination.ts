import { KnowBe4UpstreamError } from '../errors';
import type { KnowBe4CursorPage } from './types';

/** KnowBe4's documented page-size ceiling. */
export const MAX_PER_PAGE = 500;

/** A list entry that was dropped instead of crashing the caller (KnowBe4 sometimes returns `null` in arrays). */
export interface SkippedRecord {
  path: string;
  /** Page number, or the cursor the page was fetched with. */
  page: number | string;
  index: number;
  reason: 'null' | 'not_an_object';
}

export type SkipListener = (skipped: SkippedRecord) => void;

/**
 * A paginated KnowBe4 list: iterate it for records (`for await (const user of list)`), or call `pages()` for
 * arrays as KnowBe4 returned them (minus skipped entries). Nothing is fetched until iteration starts; each
 * iteration fetches afresh.
 */
export class PagedList<T> implements AsyncIterable<T> {
  constructor(private readonly source: () => AsyncGenerator<T[], void, undefined>) {}

  pages(): AsyncGenerator<T[], void, undefined> {
    return this.source();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.source()) {
      for (const record of page) yield record;
    }
  }

  async toArray(): Promise<T[]> {
    const all: T[] = [];
    for await (const page of this.source()) {
      for (const record of page) all.push(record);
    }
    return all;
  }
}

export function clampPerPage(perPage: number | undefined): number {
  if (perPage === undefined) return MAX_PER_PAGE;
  return Math.min(MAX_PER_PAGE, Math.max(1, Math.floor(perPage)));
}

/**
 * Drops null / non-object entries (reporting each) and applies an in-place normaliser. Copies the array only
 * when something has to be dropped, so clean pages cost nothing extra.
 */
export function cleanPage<T>(
  raw: readonly unknown[],
  path: string,
  page: number | string,
  onSkip: SkipListener,
  normalize?: (record: T) => void,
): T[] {
  let records = raw as T[];
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i];
    if (entry === null || typeof entry !== 'object') {
      records = [];
      for (let j = 0; j < raw.length; j++) {
        const item = raw[j];
        if (item !== null && typeof item === 'object') records.push(item as T);
        else onSkip({ path, page, index: j, reason: item === null ? 'null' : 'not_an_object' });
      }
      break;
    }
  }
  if (normalize) for (const record of records) normalize(record);
  return records;
}

function unexpectedShape(path: string, what: string): KnowBe4UpstreamError {
  return new KnowBe4UpstreamError({ message: `KnowBe4 answered ${path} with ${what}`, method: 'GET' });
}

/**
 * Page-number pagination. KnowBe4 ends a list with `[]`; we also stop after a page that is shorter than a page
 * already seen, which proves it was the last one even if the server caps per_page below what we asked —
 * so no record is skipped, and a multi-page list costs one request less. A list shorter than one page still
 * costs the confirming `[]` request (a short first page cannot be told apart from a server-side cap).
 */
export async function* pagesByNumber<T>(
  path: string,
  fetchPage: (page: number) => Promise<unknown>,
  onSkip: SkipListener,
  normalize?: (record: T) => void,
): AsyncGenerator<T[], void, undefined> {
  let longestPage = 0;
  for (let page = 1; ; page++) {
    const raw = await fetchPage(page);
    if (!Array.isArray(raw)) throw unexpectedShape(path, 'something other than a JSON array');
    if (raw.length === 0) return;
    const records = cleanPage<T>(raw, path, page, onSkip, normalize);
    if (records.length > 0) yield records;
    if (raw.length < longestPage) return;
    longestPage = Math.max(longestPage, raw.length);
  }
}

/** Cursor pagination (`cursor=true` first, then `cursor={next_cursor}`); an empty `next_cursor` ends it. */
export async function* pagesByCursor<T>(
  path: string,
  fetchPage: (cursor: string) => Promise<KnowBe4CursorPage<unknown> | undefined>,
  onSkip: SkipListener,
  normalize?: (record: T) => void,
): AsyncGenerator<T[], void, undefined> {
  const seen = new Set<string>();
  let cursor = 'true';
  for (;;) {
    const body = await fetchPage(cursor);
    const raw = body?.data;
    if (!Array.isArray(raw)) throw unexpectedShape(path, 'a cursor page without a data array');
    const records = cleanPage<T>(raw, path, cursor, onSkip, normalize);
    if (records.length > 0) yield records;
    const next = body?._metadata?.next_cursor;
    if (!next) return;
    // A repeating cursor would page forever.
    if (seen.has(next)) throw unexpectedShape(path, `a next_cursor that repeats (${next.slice(0, 40)})`);
    seen.add(next);
    cursor = next;
  }
}
