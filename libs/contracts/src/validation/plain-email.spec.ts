import fc from 'fast-check';
import { isEmail } from 'class-validator';
import { isEmailAddress, isPlainEmail } from './plain-email';

const atom = fc.stringMatching(/^[a-zA-Z0-9_%+-]{1,20}$/);
const label = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/);
const tld = fc.stringMatching(/^[a-zA-Z]{2,63}$/);
const plainAddress = fc
  .tuple(fc.array(atom, { minLength: 1, maxLength: 4 }), fc.array(label, { minLength: 1, maxLength: 4 }), tld)
  .map(([local, host, top]) => `${local.join('.')}@${[...host, top].join('.')}`);
/** Strings near an address: the alphabet of addresses and the characters that break them. */
const nearAddress = fc.stringMatching(/^[a-z0-9._%+\-@"()\s\u00e9\u3000ａ]{0,80}$/);

describe('isPlainEmail — the fast path in front of isEmail', () => {
  it('never accepts what isEmail refuses (generated plain addresses, any length)', () => {
    fc.assert(fc.property(plainAddress, (address) => !isPlainEmail(address) || isEmail(address)), { numRuns: 5000 });
  });

  it('never accepts what isEmail refuses (strings near an address)', () => {
    fc.assert(fc.property(nearAddress, (text) => !isPlainEmail(text) || isEmail(text)), { numRuns: 20000 });
  });

  it('never accepts what isEmail refuses (plain addresses with one character inserted)', () => {
    const mutated = fc
      .tuple(plainAddress, fc.nat(), fc.constantFrom('.', '-', '@', '_', '"', ' ', '\u00e9', 'ａ', '1'))
      .map(([address, at, character]) => `${address.slice(0, at % (address.length + 1))}${character}${address.slice(at % (address.length + 1))}`);
    fc.assert(fc.property(mutated, (text) => !isPlainEmail(text) || isEmail(text)), { numRuns: 20000 });
  });

  it('accepts the addresses rosters and HR exports carry', () => {
    for (const address of ['ada@example.com', 'first.last+tag@mail.example.co.uk', 'x_y-z%1@a-b.io', 'A.B@EXAMPLE.COM']) expect(isPlainEmail(address)).toBe(true);
  });

  it.each([
    ['a..b@example.com', 'an empty atom'],
    ['.a@example.com', 'a leading dot'],
    ['a@-example.com', 'a label starting with a hyphen'],
    ['a@example.c', 'a one-letter TLD'],
    ['a@example.123', 'a numeric TLD'],
    [`${'a'.repeat(65)}@example.com`, 'a local part over 64'],
    [`a@${'b'.repeat(64)}.com`, 'a label over 63'],
    ['a@b@example.com', 'two @'],
    ['a@example.com ', 'trailing space'],
  ])('refuses %j (%s) on the fast path', (address) => {
    expect(isPlainEmail(address)).toBe(false);
  });

  it('gives isEmail its say on what the fast path does not decide', () => {
    expect(isEmailAddress('"quoted"@example.com')).toBe(isEmail('"quoted"@example.com'));
    expect(isEmailAddress('josé@example.com')).toBe(isEmail('josé@example.com'));
    expect(isEmailAddress('a..b@example.com')).toBe(false);
  });
});
