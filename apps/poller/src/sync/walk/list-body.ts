import { createHash, hash } from 'node:crypto';

/**
 * A list page's raw body, read without parsing it: its fingerprint, the cursor of the page after it (cursor mode)
 * and how to parse its records when they are needed.
 *
 * In cursor mode (`{"data":[...],"_metadata":{"next_cursor":"…"}}`) the fingerprint covers only the bytes of the
 * `data` array: a cursor may well differ on every request (KnowBe4's are opaque and can expire, so they likely
 * carry a time), and the records are what decides whether a page changed. Those bytes are exactly what the page
 * mode's bare array would be, so fingerprints stored by either mode stay valid in the other.
 */
export interface ListBody {
  /** sha1 (base64) of the records' bytes (the `data` array in cursor mode, the whole body in page mode). */
  fingerprint: string;
  /** Cursor mode: the cursor of the following page, `''` after the last one. Page mode: undefined. */
  nextCursor?: string;
  /** The entries as sent; throws when the body does not hold a list. */
  records: () => unknown[];
}

/** sha1 of a page's raw bytes (as the chunks they arrived in), base64 — the same digest earlier runs stored. */
export function rawPageFingerprint(chunks: readonly Buffer[]): string {
  if (chunks.length === 1) return hash('sha1', chunks[0], 'base64');
  const sha1 = createHash('sha1');
  for (const chunk of chunks) sha1.update(chunk);
  return sha1.digest('base64');
}

/** sha1 (base64) of bytes [start, end) of a body that arrived as `chunks`, without copying them. */
function rangeFingerprint(chunks: readonly Buffer[], start: number, end: number): string {
  const sha1 = createHash('sha1');
  let offset = 0;
  for (const chunk of chunks) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + chunk.length);
    if (from < to) sha1.update(chunk.subarray(from - offset, to - offset));
    offset += chunk.length;
    if (offset >= end) break;
  }
  return sha1.digest('base64');
}

/** The first `n` bytes of a chunked body (fewer when it is shorter). */
function head(chunks: readonly Buffer[], n: number): Buffer {
  if (chunks.length > 0 && chunks[0].length >= n) return chunks[0].subarray(0, n);
  return Buffer.concat(chunks).subarray(0, n);
}

/** The last `n` bytes of a chunked body (fewer when it is shorter). */
function tail(chunks: readonly Buffer[], n: number): Buffer {
  const last = chunks[chunks.length - 1];
  if (last && last.length >= n) return last.subarray(last.length - n);
  const parts: Buffer[] = [];
  let length = 0;
  for (let i = chunks.length - 1; i >= 0 && length < n; i--) {
    parts.unshift(chunks[i]);
    length += chunks[i].length;
  }
  const joined = Buffer.concat(parts);
  return joined.subarray(Math.max(0, joined.length - n));
}

const DATA_PREFIX = Buffer.from('{"data":[');
const METADATA_KEY = Buffer.from(',"_metadata":');
/** Enough for any cursor we have seen; a longer tail falls back to parsing the body. */
const TAIL_BYTES = 4096;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Whether a body is a bare JSON array (a page-mode answer), judged from its first non-blank byte. */
export function isBareArray(chunks: readonly Buffer[]): boolean {
  for (const chunk of chunks) {
    for (const byte of chunk) {
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
      return byte === OPEN_BRACKET;
    }
  }
  return false;
}

/** A page-mode body: a bare array, fingerprinted whole. */
export function pageModeBody(chunks: readonly Buffer[], parse: () => unknown, page: number): ListBody {
  return {
    fingerprint: rawPageFingerprint(chunks),
    records: () => {
      const body = parse();
      if (!Array.isArray(body)) throw new Error(`KnowBe4 answered page ${page} with something other than an array`);
      return body as unknown[];
    },
  };
}

/** Where a cursor-mode body keeps its records (byte offsets of the `data` array) and the next page's cursor. */
export interface CursorLayout {
  nextCursor: string;
  dataStart: number;
  dataEnd: number;
}

/**
 * Reads the usual cursor-mode layout (`{"data":[…],"_metadata":{…}}`, as recorded) from a body's first and last
 * bytes only; undefined for any other layout.
 */
export function cursorLayout(chunks: readonly Buffer[]): CursorLayout | undefined {
  if (!head(chunks, DATA_PREFIX.length).equals(DATA_PREFIX)) return undefined;
  const total = chunks.reduce((n, chunk) => n + chunk.length, 0);
  const end = tail(chunks, TAIL_BYTES);
  const at = end.lastIndexOf(METADATA_KEY);
  if (at <= 0 || end[at - 1] !== CLOSE_BRACKET) return undefined;
  const nextCursor = cursorIn(parseJson(`{${end.subarray(at + 1).toString('utf8')}`));
  if (nextCursor === undefined) return undefined;
  return { nextCursor, dataStart: DATA_PREFIX.length - 1, dataEnd: total - end.length + at };
}

/**
 * A cursor-mode body: with its layout known, fingerprinted over the `data` bytes and parsed only on demand; any
 * other layout is parsed at once and fingerprinted by its re-serialized records.
 */
export function cursorModeBody(chunks: readonly Buffer[], parse: () => unknown, page: number, layout = cursorLayout(chunks)): ListBody {
  if (layout) {
    return {
      fingerprint: rangeFingerprint(chunks, layout.dataStart, layout.dataEnd),
      nextCursor: layout.nextCursor,
      records: () => dataOf(parse(), page),
    };
  }
  const body = parse();
  const records = dataOf(body, page);
  const nextCursor = cursorIn(body) ?? '';
  return { fingerprint: hash('sha1', JSON.stringify(records), 'base64'), nextCursor, records: () => records };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `_metadata.next_cursor` of a cursor-mode body (or of its tail): a string, `''` when null; undefined if absent. */
function cursorIn(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const metadata = (body as { _metadata?: unknown })._metadata;
  if (typeof metadata !== 'object' || metadata === null || !('next_cursor' in metadata)) return undefined;
  const cursor = (metadata as { next_cursor?: unknown }).next_cursor;
  if (cursor === null || cursor === undefined) return '';
  // a cursor that is not text is no cursor we could send back
  return typeof cursor === 'string' ? cursor : typeof cursor === 'number' ? String(cursor) : undefined;
}

function dataOf(body: unknown, page: number): unknown[] {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new Error(`KnowBe4 answered cursor page ${page} without a data array`);
  return data as unknown[];
}
