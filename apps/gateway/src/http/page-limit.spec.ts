import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { PageLimit } from './page-limit';

class Listing {
  @PageLimit(500)
  limit?: number;
}

class WordedListing {
  @PageLimit(100, { message: 'limit must be a whole number from 1 to 100' })
  limit?: number;
}

function problemsOf<T extends object>(type: new () => T, query: Record<string, string>): string[] {
  return validateSync(plainToInstance(type, query)).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('PageLimit', () => {
  it('takes an absent limit and a whole number from 1 to the maximum, converted from query text', () => {
    expect(problemsOf(Listing, {})).toEqual([]);
    expect(problemsOf(Listing, { limit: '1' })).toEqual([]);
    expect(problemsOf(Listing, { limit: '500' })).toEqual([]);
    expect(plainToInstance(Listing, { limit: '42' }).limit).toBe(42);
  });

  it('refuses zero, more than the maximum, fractions and text', () => {
    for (const limit of ['0', '501', '2.5', 'ten', '-1']) expect(problemsOf(Listing, { limit })).not.toEqual([]);
  });

  it("words the whole-number refusal as the list asks", () => {
    expect(problemsOf(WordedListing, { limit: '2.5' })).toContain('limit must be a whole number from 1 to 100');
  });
});
