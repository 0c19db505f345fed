import { CursorCodec, InvalidCursorError, queryFingerprint } from './cursor';

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
