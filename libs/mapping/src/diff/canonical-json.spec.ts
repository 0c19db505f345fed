import fc from 'fast-check';
import { canonicalJson, contentHash } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('writes non-finite numbers and undefined array entries as null', () => {
    expect(canonicalJson([NaN, Infinity, undefined, -0])).toBe('[null,null,null,0]');
  });
});

describe('contentHash', () => {
  it('is a sha256 hex digest independent of key order', () => {
    const hash = contentHash({ id: '1', name: 'x' });
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash({ name: 'x', id: '1' })).toBe(hash);
  });

  it('changes when a value changes', () => {
    expect(contentHash({ employee_number: '00000' })).not.toBe(contentHash({ employee_number: '0' }));
  });

  it('property: equal after a JSON round trip', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => contentHash(JSON.parse(JSON.stringify(value))) === contentHash(value)));
  });
});
