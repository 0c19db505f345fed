import { reportingGroups, reportingUsers } from '../__fixtures__/load-fixture';
import type { KnowBe4Group, KnowBe4User } from '@kb4/knowbe4';
import { toUnifiedGroup, toUnifiedUser, writableFieldsOf } from './from-knowbe4';

const [modern, legacy, archived, , trial, expanded] = reportingUsers() as KnowBe4User[];
const groupsById = new Map<number, string>([
  [3264, 'Engineering'],
  [3911, 'High-risk users'],
]);

describe('toUnifiedUser', () => {
  it('maps every field of a complete user', () => {
    expect(toUnifiedUser(modern, { groupsById })).toEqual({
      id: '667542',
      external_id: '00000',
      first_name: 'Jane',
      last_name: 'Doe',
      name: 'Jane Doe',
      username: 'Jane.Doe@example.com',
      emails: [
        { email: 'Jane.Doe@example.com', type: 'work', is_primary: true },
        { email: 'jdoe@example.com', type: 'alias', is_primary: false },
        { email: 'jane@example.org', type: 'alias', is_primary: false },
      ],
      phones: [
        { number: '+1 (555) 010-2000', extension: '204', type: 'work' },
        { number: '+1 555 010 2999', extension: null, type: 'mobile' },
      ],
      title: 'Staff Engineer',
      status: 'active',
      groups: [
        { id: '3264', name: 'Engineering' },
        { id: '3911', name: 'High-risk users' },
      ],
      organizations: [{ name: 'Example Corp' }],
      languages: ['en-us'],
      created_at: '2019-03-05T15:12:45.000Z',
      updated_at: null,
      last_active_at: '2024-11-02T08:01:13.000Z',
      remote_data: modern,
      department: 'Engineering',
      division: 'Platform',
      location: 'Clearwater, FL',
      manager: { name: 'Kim Lee', email: 'kim.lee@example.com' },
      employee_start_date: '2019-03-04T00:00:00.000Z',
      phish_prone_percentage: 25.6,
      current_risk_score: 0,
    });
  });

  it.each([
    ['uses the KnowBe4 id as a string id', modern, { id: '667542' }],
    ['maps archived to inactive', archived, { status: 'inactive' }],
    ['uses employee_number as external_id', legacy, { external_id: '4711' }],
    ['drops an extension that has no phone number', legacy, { phones: [] }],
    ['keeps a manager known only by email', archived, { manager: { name: null, email: 'boss@example.com' } }],
    ['has no manager when neither name nor email is set', legacy, { manager: null }],
    ['takes group names from expand=group objects', expanded, { groups: [{ id: '3264', name: 'Engineering (expanded)' }, { id: '5000', name: 'All Users' }] }],
    ['maps a minimal trial-tenant user', trial, { name: 'Trial User', emails: [{ email: 'jdoe@trial-tenant.example', type: 'work', is_primary: true }], phones: [], groups: [], organizations: [], languages: [], external_id: null, phish_prone_percentage: 12.5, current_risk_score: null, created_at: null }],
  ])('%s', (_behaviour, raw, expected) => {
    expect(toUnifiedUser(raw, { groupsById })).toMatchObject(expected);
  });

  it('keeps remote_data as the record as fetched, unknown fields included', () => {
    const unified = toUnifiedUser(legacy);
    expect(unified.remote_data).toEqual(legacy);
    expect(unified.remote_data).not.toBe(legacy);
  });

  it('leaves unknown group names null', () => {
    expect(toUnifiedUser(archived).groups).toEqual([{ id: '3264', name: null }]);
  });

  it('accepts a plain-object lookup of group names', () => {
    expect(toUnifiedUser(archived, { groupsById: { '3264': 'Engineering' } }).groups).toEqual([{ id: '3264', name: 'Engineering' }]);
  });
});

describe('writableFieldsOf', () => {
  it('drops aliases and reads custom fields from remote_data', () => {
    const writable = writableFieldsOf(toUnifiedUser(modern));
    expect(writable.emails).toEqual([{ email: 'Jane.Doe@example.com', type: 'work', is_primary: true }]);
    expect(writable.custom_fields).toEqual({
      custom_field_1: 'Tier 2',
      custom_field_2: null,
      custom_field_3: null,
      custom_field_4: 'CC-7781',
      custom_date_1: '2025-01-31',
      custom_date_2: null,
    });
  });
});

describe('toUnifiedGroup', () => {
  const [consoleGroup, smartGroup, legacyGroup] = reportingGroups() as KnowBe4Group[];

  it.each([
    ['a console group', consoleGroup, { id: '3264', name: 'Engineering', type: 'console_group', status: 'active', member_count: 42, current_risk_score: 25.6 }],
    ['a smart group with string counts', smartGroup, { id: '3911', type: 'smart_group', member_count: 7, current_risk_score: 0, provisioning_guid: null }],
    ['an archived legacy group', legacyGroup, { status: 'inactive', provisioning_guid: '{11111111-2222-3333-4444-555555555555}', current_risk_score: null }],
  ])('maps %s', (_what, raw, expected) => {
    const group = toUnifiedGroup(raw);
    expect(group).toMatchObject(expected);
    expect(group.remote_data).toEqual(raw);
  });
});

describe('writableFieldsOf: fields SCIM cannot write', () => {
  it('nulls phone extensions and has no employee_start_date', () => {
    const writable = writableFieldsOf(toUnifiedUser(modern));
    expect(writable.phones[0]).toEqual({ number: '+1 (555) 010-2000', extension: null, type: 'work' });
    expect('employee_start_date' in writable).toBe(false);
  });
});
