import { unstorableReason } from './storable';

describe('unstorableReason', () => {
  it.each([
    ['a plain record', { id: 1, first_name: 'Zoë 🚀' }, null],
    ['a NUL in a value', { id: 1, first_name: 'a\u0000b' }, 'unstorable_characters'],
    ['a NUL in a key', { ['a\u0000']: 1 }, 'unstorable_characters'],
    ['a lone high surrogate', { id: 1, last_name: 'x\ud800' }, 'unstorable_characters'],
    ['a lone low surrogate', { id: 1, last_name: '\udc00y' }, 'unstorable_characters'],
    ['the text \\u0000 (escaped backslash)', { id: 1, note: '\\u0000 and \\ud800' }, null],
    ['a backslash before a real NUL', { id: 1, note: '\\\u0000' }, 'unstorable_characters'],
    ['a record over the limit', { id: 1, first_name: 'x'.repeat(2000) }, 'too_large'],
  ])('%s', (_name, record, expected) => {
    expect(unstorableReason(record, 1024)).toBe(expected);
  });
});
