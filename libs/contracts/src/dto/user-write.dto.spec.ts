import { validateDto } from '../validation/validate-dto';
import { UserWriteDto } from './user-write.dto';

const withCustomDate = (value: unknown) => validateDto(UserWriteDto, { custom_fields: { custom_date_1: value } });

describe('custom dates of a user write', () => {
  it.each(['2026-11-28', '2026-11-28T04:00:00Z', '2026-11-28T04:00:00.123+01:00', null])('accepts %p', (value) => {
    expect(withCustomDate(value).ok).toBe(true);
  });

  // KnowBe4's SCIM types them dateTime and answers 400 invalidValue to anything else: refuse here, naming the field
  it.each(['3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'next tuesday', '2026-02-30', '2026-W48', '28.11.2026', ''])('refuses %p naming the field', (value) => {
    const result = withCustomDate(value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((error) => error.path)).toEqual(['custom_fields.custom_date_1']);
      expect(Object.values(result.errors[0].constraints).join()).toMatch(/custom_date_1 must be a calendar date/);
    }
  });
});
