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
