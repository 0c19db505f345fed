import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { KeysetPosition, TimeKeyset } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';

interface CursorPayload {
  v: 1;
  /** n = next page, p = previous page */
  d: 'n' | 'p';
  k: string;
  s?: string;
  q: string;
}

/** Cursor of the admin lists (accounts, sync runs): a (timestamp, uuid) keyset. */
interface TimeKeysetPayload {
  v: 1;
  t: 'time';
  a: string;
  i: string;
  q: string;
}

export class InvalidCursorError extends Error {}

/** Reads a caller's next_cursor: one that does not verify is bad input, answered 400 naming the parameter. */
export function readNextCursor<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    throw new ApiError(400, `next_cursor is not valid: ${error.message}`, [{ field: 'next_cursor', location: 'query', errors: [error.message] }]);
  }
}

const KEYSET_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const MAX_CURSOR_LENGTH = 1024;

/** Hash of everything that shapes a page (account, resource, filters, sort, limit, projection). */
export function queryFingerprint(parts: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(parts).sort().map((key) => [key, parts[key] ?? null]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/**
 * Opaque keyset cursors: base64url(JSON) + HMAC-SHA256 tag. A cursor is bound to the fingerprint of the query
 * that made it, so a tampered cursor, or one used with other filters, sort, limit or account, is refused.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  }

  /** CURSOR_SECRET when set, else a key derived from CREDENTIALS_KEY (never the encryption key itself). */
  static fromConfig(config: { CURSOR_SECRET?: string; CREDENTIALS_KEY: string }): CursorCodec {
    if (config.CURSOR_SECRET) return new CursorCodec(config.CURSOR_SECRET);
    const derived = hkdfSync('sha256', Buffer.from(config.CREDENTIALS_KEY, 'base64'), Buffer.alloc(0), 'kb4-directory cursor signing v1', 32);
    return new CursorCodec(Buffer.from(derived));
  }

  encode(position: KeysetPosition, fingerprint: string): string {
    const payload: CursorPayload = { v: 1, d: position.direction === 'prev' ? 'p' : 'n', k: position.seq, q: fingerprint };
    if (position.value !== undefined) payload.s = position.value;
    return this.sign(payload);
  }

  decode(cursor: string, fingerprint: string): KeysetPosition {
    const payload = this.verify<CursorPayload>(cursor, fingerprint);
    if (payload.v !== 1 || (payload.d !== 'n' && payload.d !== 'p') || typeof payload.k !== 'string' || !/^[0-9]{1,19}$/.test(payload.k)) {
      throw new InvalidCursorError('cursor is malformed');
    }
    return { direction: payload.d === 'p' ? 'prev' : 'next', seq: payload.k, ...(typeof payload.s === 'string' ? { value: payload.s } : {}) };
  }

  encodeTimeKeyset(position: TimeKeyset, fingerprint: string): string {
    const payload: TimeKeysetPayload = { v: 1, t: 'time', a: position.at, i: position.id, q: fingerprint };
    return this.sign(payload);
  }

  decodeTimeKeyset(cursor: string, fingerprint: string): TimeKeyset {
    const payload = this.verify<TimeKeysetPayload>(cursor, fingerprint);
    if (payload.v !== 1 || payload.t !== 'time' || typeof payload.a !== 'string' || !KEYSET_TIME.test(payload.a) || typeof payload.i !== 'string' || !UUID.test(payload.i)) {
      throw new InvalidCursorError('cursor is malformed');
    }
    return { at: payload.a, id: payload.i };
  }

  private sign(payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.tag(body)}`;
  }

  /** Checks length, signature and query binding; the caller checks the payload's shape. */
  private verify<T extends { q: string }>(cursor: string, fingerprint: string): Partial<T> {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError('cursor is too long');
    const dot = cursor.indexOf('.');
    if (dot <= 0) throw new InvalidCursorError('cursor is malformed');
    const body = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.tag(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError('cursor signature is not valid');
    let payload: Partial<T> | null;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<T> | null;
    } catch {
      throw new InvalidCursorError('cursor is malformed');
    }
    if (payload === null || typeof payload !== 'object') throw new InvalidCursorError('cursor is malformed');
    if (payload.q !== fingerprint) {
      throw new InvalidCursorError('cursor belongs to another query: keep filters, sort_by, limit and integrated_account_id unchanged while paging');
    }
    return payload;
  }

  private tag(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 27);
  }
}
