import { ApiError } from '@kb4/platform';
import { CursorCodec, InvalidCursorError, queryFingerprint, readNextCursor } from './cursor';

describe('CursorCodec', () => {
  const codec = new CursorCodec('x'.repeat(32));
  const fingerprint = queryFingerprint({ accountId: 'a', limit: 10, filters: { status: 'active' } });

  it('round-trips a keyset position bound to its query', () => {
    const cursor = codec.encode({ direction: 'next', seq: '42', value: 'Lovelace' }, fingerprint);
    expect(codec.decode(cursor, fingerprint)).toEqual({ direction: 'next', seq: '42', value: 'Lovelace' });
  });

  it('refuses tampering, another query and another key', () => {
    const cursor = codec.encode({ direction: 'prev', seq: '7' }, fingerprint);
    const [body, tag] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), k: '1' })).toString('base64url');
    expect(() => codec.decode(`${forged}.${tag}`, fingerprint)).toThrow(InvalidCursorError);
    expect(() => codec.decode(cursor, queryFingerprint({ accountId: 'a', limit: 11, filters: { status: 'active' } }))).toThrow('another query');
    expect(() => new CursorCodec('y'.repeat(32)).decode(cursor, fingerprint)).toThrow(InvalidCursorError);
    expect(() => codec.decode('garbage', fingerprint)).toThrow(InvalidCursorError);
  });

  it('fingerprints are independent of key order', () => {
    expect(queryFingerprint({ a: 1, b: 2 })).toBe(queryFingerprint({ b: 2, a: 1 }));
  });
});

describe('readNextCursor', () => {
  it('answers a cursor that does not verify with a 400 naming next_cursor, and lets every other error through', () => {
    const codec = new CursorCodec('x'.repeat(32));
    const fingerprint = queryFingerprint({ accountId: 'a' });
    expect(readNextCursor(() => codec.decode(codec.encode({ direction: 'next', seq: '3' }, fingerprint), fingerprint))).toEqual({ direction: 'next', seq: '3' });
    let refused: unknown;
    try {
      readNextCursor(() => codec.decode('garbage', fingerprint));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ statusCode: 400, message: 'next_cursor is not valid: cursor is malformed', details: [{ field: 'next_cursor', location: 'query', errors: ['cursor is malformed'] }] });
    expect(() => readNextCursor(() => { throw new TypeError('a bug'); })).toThrow(TypeError);
  });
});
