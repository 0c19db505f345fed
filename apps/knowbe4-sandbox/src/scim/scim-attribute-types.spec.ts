import { checkValue, isScimDateTime } from './scim-attribute-types';
import { ScimError } from './scim-errors';
import type { AttributeSpec } from './scim-schemas';

describe('SCIM attribute types (RFC 7643 §2.3)', () => {
  it.each([
    ['2024-03-01T10:20:30Z', true],
    ['2024-03-01T10:20:30.123+05:30', true],
    ['2024-03-01T10:20:30', true],
    ['2024-02-29T00:00:00Z', true],
    ['2024-03-01', true],
    ['2023-02-29T00:00:00Z', false],
    ['2024-13-01', false],
    ['2024-03-01T25:00:00Z', false],
    ['2024-03-01 10:20:30Z', false],
    ['03/01/2024', false],
    ['6f1c1b0e-8a4e-4d43-9c43-3c7a0cdb6d0a', false],
  ])('dateTime %s → %s (xsd:dateTime, or the date KnowBe4 keeps)', (value, valid) => {
    expect(isScimDateTime(value)).toBe(valid);
  });

  const spec = (type: AttributeSpec['type'], extra: Partial<AttributeSpec> = {}): AttributeSpec => ({ name: 'x', type, description: '', ...extra });
  const refused = (s: AttributeSpec, value: unknown): string => {
    try {
      checkValue(s, value, 'attr', { requireRequired: true });
    } catch (error) {
      expect(error).toBeInstanceOf(ScimError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue' });
      return (error as ScimError).detail;
    }
    throw new Error(`${JSON.stringify(value)} was accepted as ${s.type}`);
  };

  it.each([
    ['integer', 1.5],
    ['integer', '1'],
    ['decimal', Number.NaN],
    ['decimal', '1.5'],
    ['boolean', 'yes'],
    ['string', 42],
    ['reference', ''],
    ['binary', 'not base64!'],
  ] as Array<[AttributeSpec['type'], unknown]>)('refuses a %s given %p with invalidValue naming the attribute', (type, value) => {
    expect(refused(spec(type), value)).toContain("Attribute 'attr'");
  });

  it('accepts each type its own values, and null as unassigned', () => {
    const ok: Array<[AttributeSpec['type'], unknown]> = [['integer', 3], ['decimal', 2.5], ['boolean', 'False'], ['string', ''], ['reference', 'https://x/Users/1'], ['binary', 'aGk=']];
    for (const [type, value] of ok) expect(() => checkValue(spec(type), value, 'attr', { requireRequired: true })).not.toThrow();
    expect(() => checkValue(spec('integer'), null, 'attr', { requireRequired: true })).not.toThrow();
  });

  it('checks multi-valued complex attributes item by item and names the failing sub-attribute', () => {
    const emails = spec('complex', { multiValued: true, subAttributes: [spec('boolean', { name: 'primary' })] });
    expect(refused(emails, [{ primary: true }, { primary: 'first' }])).toContain("'attr[1].primary'");
    expect(refused(emails, { primary: true })).toContain('multi-valued');
    expect(refused(emails, [null])).toContain("'attr[0]'");
  });
});
