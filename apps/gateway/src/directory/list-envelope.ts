import type { KeysetPosition, Page } from '@kb4/persistence';

/**
 * Truto's list envelope around a keyset page whose records are already JSON text: `next_cursor` only when more rows
 * follow, `prev_cursor` once the walk has moved, both null otherwise (never absent).
 */
export function listEnvelope(page: Page, position: KeysetPosition | undefined, encode: (p: KeysetPosition) => string): string {
  const { rows, hasMore } = page;
  const first = rows[0];
  const last = rows[rows.length - 1];
  const at = (direction: 'next' | 'prev', row: { seq: string; sortValue: string | null }): string =>
    encode({ direction, seq: row.seq, ...(row.sortValue === null ? {} : { value: row.sortValue }) });
  let next: string | null = null;
  let prev: string | null = null;
  if (position?.direction === 'prev') {
    if (last) next = at('next', last);
    if (first && hasMore) prev = at('prev', first);
  } else {
    if (last && hasMore) next = at('next', last);
    if (first && position) prev = at('prev', first);
  }
  let body = '{"result":[';
  for (let i = 0; i < rows.length; i++) body += i === 0 ? rows[i].json : `,${rows[i].json}`;
  body += `],"next_cursor":${next === null ? 'null' : `"${next}"`},"prev_cursor":${prev === null ? 'null' : `"${prev}"`},"result_count":${rows.length}}`;
  return body;
}
