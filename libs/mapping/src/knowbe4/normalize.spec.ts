import { reportingGroups, reportingUsers } from '../__fixtures__/load-fixture';
import {
  InvalidKnowBe4RecordError,
  normalizeKnowBe4Group,
  normalizeKnowBe4User,
  normalizeRiskScoreDate,
  tryNormalizeKnowBe4User,
} from './normalize';

const [modern, legacy, archived, nullEntry, trial, expanded] = reportingUsers();

describe('normalizeKnowBe4User', () => {
  it.each([
    ['keeps leading zeros of a string employee number', modern, 'employee_number', '00000'],
    ['turns an integer employee number into a string', legacy, 'employee_number', '4711'],
    ['turns a string id into a number', legacy, 'id', 654321],
    ['keeps ids beyond 32 bits', archived, 'id', 900000000001],
    ['maps legacy adi_manageable to provisioning_managed', legacy, 'provisioning_managed', true],
    ['maps legacy adi_guid to provisioning_guid', legacy, 'provisioning_guid', '{6F9619FF-8B86-D011-B42D-00C04FC964FF}'],
    ['parses a numeric string percentage', legacy, 'phish_prone_percentage', 0],
    ['keeps a float percentage', modern, 'phish_prone_percentage', 25.6],
    ['turns a numeric extension into a string', legacy, 'extension', '12'],
    ['turns null groups into an empty list', legacy, 'groups', []],
    ['turns null aliases into an empty list', legacy, 'aliases', []],
    ['drops null and repeated group ids', archived, 'groups', [3264]],
    ['reduces expanded groups to ids', expanded, 'groups', [3264, 5000]],
    ['treats blank strings as null', archived, 'employee_number', null],
    ['treats whitespace-only strings as null', archived, 'job_title', null],
    ['writes datetimes with milliseconds', legacy, 'joined_on', '2016-07-01T00:00:00.000Z'],
    ['keeps .000Z datetimes as they are', modern, 'joined_on', '2019-03-05T15:12:45.000Z'],
    ['fills fields a trial tenant omits with null', trial, 'department', null],
    ['defaults a missing provisioning flag to false', trial, 'provisioning_managed', false],
    ['keeps the archived status', archived, 'status', 'archived'],
  ])('%s', (_behaviour, raw, field, expected) => {
    expect(normalizeKnowBe4User(raw)[field]).toEqual(expected);
  });

  it('keeps unknown extra fields untouched', () => {
    const user = normalizeKnowBe4User(modern);
    expect(user.sso_enabled).toBe(true);
    expect(user.twofactor_enabled).toBe(false);
  });

  it('normalizes both risk-score-history date formats to a day and skips null points', () => {
    expect(normalizeKnowBe4User(legacy).risk_score_history).toEqual([
      { risk_score: 44.1, date: '2021-01-01' },
      { risk_score: 41.52, date: '2021-02-01' },
    ]);
  });

  it('is idempotent', () => {
    for (const raw of [modern, legacy, archived, trial, expanded]) {
      const once = normalizeKnowBe4User(raw);
      expect(normalizeKnowBe4User(once)).toEqual(once);
    }
  });

  it('reports a null entry instead of crashing so a sync can skip and count it', () => {
    expect(tryNormalizeKnowBe4User(nullEntry)).toEqual({ ok: false, reason: 'null entry' });
    expect(() => normalizeKnowBe4User(nullEntry)).toThrow(InvalidKnowBe4RecordError);
  });

  it.each([[{ email: 'x@example.com' }], [{ id: 'abc' }], [{ id: 1.5 }], ['a string'], [[1, 2]]])(
    'rejects a record without an integer id: %j',
    (raw) => {
      expect(tryNormalizeKnowBe4User(raw).ok).toBe(false);
    },
  );
});

describe('normalizeRiskScoreDate', () => {
  it.each([
    ['2024-01-15', '2024-01-15'],
    ['2024-01-15T00:00:00.000Z', '2024-01-15'],
    ['2024-01-15T00:00:00Z', '2024-01-15'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRiskScoreDate(input)).toBe(expected);
  });
});

describe('normalizeKnowBe4Group', () => {
  const [consoleGroup, smartGroup, legacyGroup, nullGroup] = reportingGroups();

  it.each([
    ['reads a console group', consoleGroup, { id: 3264, group_type: 'console_group', member_count: 42 }],
    ['parses string ids and counts', smartGroup, { id: 3911, member_count: 7, current_risk_score: 0 }],
    ['maps legacy adi_guid', legacyGroup, { provisioning_guid: '{11111111-2222-3333-4444-555555555555}', status: 'archived' }],
  ])('%s', (_behaviour, raw, expected) => {
    expect(normalizeKnowBe4Group(raw)).toMatchObject(expected);
  });

  it('throws on a null entry', () => {
    expect(() => normalizeKnowBe4Group(nullGroup)).toThrow('null entry');
  });
});
