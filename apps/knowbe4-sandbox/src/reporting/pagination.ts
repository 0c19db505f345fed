/**
 * KnowBe4 paging: `page` from 1, `per_page` default 100, max 500. KnowBe4 does not document what it does
 * with out-of-range values; the sandbox clamps (per_page > 500 → 500, page < 1 or not a number → 1,
 * per_page < 1 or not a number → 100) rather than failing, and says so in its README.
 */
export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 500;

export interface Paging {
  page: number;
  perPage: number;
}

const positiveInt = (raw: unknown): number | undefined => {
  if (typeof raw !== 'string' || !/^\s*\d+\s*$/.test(raw)) return undefined;
  const n = Number.parseInt(raw, 10);
  return n >= 1 ? n : undefined;
};

export function parsePaging(query: Record<string, unknown>): Paging {
  const page = positiveInt(query.page) ?? 1;
  const perPage = Math.min(MAX_PER_PAGE, positiveInt(query.per_page) ?? DEFAULT_PER_PAGE);
  return { page, perPage };
}

export function pageOf<T>(items: readonly T[], { page, perPage }: Paging): readonly T[] {
  const start = (page - 1) * perPage;
  return start >= items.length ? [] : items.slice(start, start + perPage);
}

/**
 * Cursor mode, reported by open-source clients ahead of KnowBe4's announced move away from `page` (Nov 2026):
 * `cursor=true&per_page=N` starts, each answer is `{data: [...], _metadata: {next_cursor}}`, an empty
 * `next_cursor` ends. The sandbox offers it on every list; its cursor is "after id X", so records created or
 * deleted mid-walk never make a page skip or repeat one that stays.
 */
export type ListRequest = { mode: 'page'; paging: Paging } | { mode: 'cursor'; afterId: number; perPage: number } | { mode: 'invalid' };

export function parseListRequest(query: Record<string, unknown>): ListRequest {
  const paging = parsePaging(query);
  const cursor = query.cursor;
  if (typeof cursor !== 'string' || cursor === '' || cursor === 'false') return { mode: 'page', paging };
  if (cursor === 'true') return { mode: 'cursor', afterId: -1, perPage: paging.perPage };
  const match = /^after:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { mode: 'cursor', afterId: Number(match[1]), perPage: paging.perPage } : { mode: 'invalid' };
}

/** The cursor page of an id-ordered list: binary search for the first id after the cursor. */
export function cursorPageOf<T>(
  items: readonly T[],
  idOf: (item: T) => number,
  afterId: number,
  perPage: number,
): { slice: readonly T[]; nextCursor: string } {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (idOf(items[mid]) <= afterId) lo = mid + 1;
    else hi = mid;
  }
  const slice = items.slice(lo, lo + perPage);
  const more = lo + perPage < items.length;
  const nextCursor = more && slice.length ? Buffer.from(`after:${idOf(slice[slice.length - 1])}`).toString('base64url') : '';
  return { slice, nextCursor };
}
