import { badTextReason, exceedsJsonDepth, findHostileValue, JSON_BODY_LIMITS } from './hostile-input';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('exceedsJsonDepth', () => {
  it('counts nesting of arrays and objects, not brackets inside strings or after escapes', () => {
    expect(exceedsJsonDepth(bytes('{"a":[[1]]}'), 3)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"a":[[[1]]]}'), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes(`{"a":"${'['.repeat(100)}"}`), 2)).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"a":"\\"${'['.repeat(100)}"}`), 2)).toBe(false);
    expect(exceedsJsonDepth(bytes(`{"a\\\\":${'['.repeat(3)}1${']'.repeat(3)}}`), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes(`{"é🦊":[{"b":[]}]}`), 4)).toBe(false);
  });

  it('scans a million-deep body without recursion', () => {
    expect(exceedsJsonDepth(bytes('['.repeat(1_000_000)), JSON_BODY_LIMITS.maxDepth)).toBe(true);
  });
});

describe('badTextReason', () => {
  it.each([
    ['a\u0000b', 'NUL'],
    ['\u001b[31m', 'U+001B'],
    ['\u007f', 'U+007F'],
    ['\ud800', 'lone UTF-16 surrogate'],
    ['x\udfffy', 'lone UTF-16 surrogate'],
    ['\udc00\ud800', 'lone UTF-16 surrogate'],
  ])('refuses %j (%s)', (text, why) => expect(badTextReason(text)).toContain(why));

  it('accepts emoji, RTL text, combining marks and, in bodies, TAB/CR/LF', () => {
    for (const text of ['🦊🏳️‍🌈', 'שלום', 'e\u0301', 'line one\r\nline two\tend', '']) expect(badTextReason(text)).toBeUndefined();
    expect(badTextReason('a\nb', 100, false)).toContain('U+000A');
  });
});

describe('findHostileValue', () => {
  it('names the field as validation does, keys included', () => {
    expect(findHostileValue({ emails: [{ email: 'ok@example.com' }, { email: 'x\u0000' }] })).toEqual({ field: 'emails.1.email', reason: 'must not contain NUL characters' });
    expect(findHostileValue({ manager: { ['n\u0000']: 1 } })?.field).toBe('manager.n?');
    expect(findHostileValue({ a: Array(JSON_BODY_LIMITS.maxArrayItems + 1).fill(1) })?.field).toBe('a');
    expect(findHostileValue({ a: 'x'.repeat(JSON_BODY_LIMITS.maxStringLength + 1) })?.reason).toContain('at most');
    expect(findHostileValue(JSON.parse('{"__proto__":"a\\u0000"}'))?.field).toBe('__proto__');
    expect(findHostileValue({ fine: ['🦊', { deeper: 'שלום' }] })).toBeUndefined();
  });
});
