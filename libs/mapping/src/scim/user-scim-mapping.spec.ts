import { loadFixture, reportingUsers } from '../__fixtures__/load-fixture';
import type { UnifiedUserWritableFields, UnifiedUserWrite } from '@kb4/contracts';
import type { KnowBe4User, ScimUser } from '@kb4/knowbe4';
import { toUnifiedUser, writableFieldsOf } from '../unified/from-knowbe4';
import {
  SCIM_ENTERPRISE_USER_SCHEMA,
  SCIM_KNOWBE4_USER_SCHEMA,
  SCIM_PATCH_OP_SCHEMA,
  SCIM_USER_SCHEMA,
} from './scim-resources';
import {
  ScimMappingError,
  scimUserNameFilter,
  scimUserToUnifiedUser,
  unifiedPatchToScimPatchOps,
  unifiedUserToScimUser,
} from './user-scim-mapping';

const users = (reportingUsers().filter((user) => user !== null) as KnowBe4User[]);

const fullWrite: UnifiedUserWritableFields = {
  username: 'New.Hire@Example.com',
  emails: [{ email: 'New.Hire@Example.com', type: 'work', is_primary: true }],
  first_name: 'New',
  last_name: 'Hire',
  title: 'Analyst',
  status: 'active',
  phones: [
    { number: '+49 30 1234567', extension: null, type: 'work' },
    { number: '+49 170 1234567', extension: null, type: 'mobile' },
  ],
  location: 'Berlin',
  department: 'Security',
  division: 'EMEA',
  organizations: [{ name: 'Example GmbH' }],
  manager: { name: 'Max Muster', email: 'max.muster@example.com' },
  external_id: '000123',
  languages: ['de-de'],
  custom_fields: {
    custom_field_1: 'a',
    custom_field_2: 'b',
    custom_field_3: 'c',
    custom_field_4: 'd',
    custom_date_1: '2025-03-01',
    custom_date_2: '2025-04-01',
  },
};

describe('unifiedUserToScimUser', () => {
  it('builds a SCIM user with core, enterprise and KnowBe4 attributes', () => {
    expect(unifiedUserToScimUser(fullWrite)).toEqual({
      schemas: [SCIM_USER_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA, SCIM_KNOWBE4_USER_SCHEMA],
      userName: 'new.hire@example.com',
      name: { givenName: 'New', familyName: 'Hire' },
      title: 'Analyst',
      active: true,
      emails: [{ value: 'New.Hire@Example.com', type: 'work', primary: true }],
      phoneNumbers: [
        { value: '+49 30 1234567', type: 'work' },
        { value: '+49 170 1234567', type: 'mobile' },
      ],
      addresses: [{ type: 'work', locality: 'Berlin', primary: true }],
      preferredLanguage: 'de-de',
      [SCIM_ENTERPRISE_USER_SCHEMA]: {
        employeeNumber: '000123',
        department: 'Security',
        division: 'EMEA',
        organization: 'Example GmbH',
        manager: { value: 'max.muster@example.com', displayName: 'Max Muster' },
      },
      [SCIM_KNOWBE4_USER_SCHEMA]: {
        customField1: 'a',
        customField2: 'b',
        customField3: 'c',
        customField4: 'd',
        customDate1: '2025-03-01',
        customDate2: '2025-04-01',
      },
    });
  });

  it('leaves phone extensions out because SCIM has no attribute for them', () => {
    const scim = unifiedUserToScimUser({ username: 'a@example.com', phones: [{ number: '+1 555', extension: '12', type: 'work' }] });
    expect(scim.phoneNumbers).toEqual([{ value: '+1 555', type: 'work' }]);
  });

  it('sends only the primary email because KnowBe4 strips aliases', () => {
    const scim = unifiedUserToScimUser({
      emails: [
        { email: 'alias@example.com', type: 'alias', is_primary: false },
        { email: 'Primary@Example.com', type: 'work', is_primary: true },
      ],
    });
    expect(scim.userName).toBe('primary@example.com');
    expect(scim.emails).toEqual([{ value: 'Primary@Example.com', type: 'work', primary: true }]);
  });

  it('omits empty extensions and marks an inactive user inactive', () => {
    const scim = unifiedUserToScimUser({ username: 'a@example.com', status: 'inactive', department: null });
    expect(scim).toEqual({
      schemas: [SCIM_USER_SCHEMA],
      userName: 'a@example.com',
      active: false,
      emails: [{ value: 'a@example.com', type: 'work', primary: true }],
    });
  });

  it('refuses a user without a primary email', () => {
    expect(() => unifiedUserToScimUser({ first_name: 'No' })).toThrow(ScimMappingError);
  });
});

describe('scimUserToUnifiedUser', () => {
  it('reads a KnowBe4 SCIM response', () => {
    const unified = scimUserToUnifiedUser(loadFixture('scim-user.json') as ScimUser);
    expect(unified).toMatchObject({
      scim_id: '2819c223-7f76-453a-919d-413861904646',
      scim_external_id: 'okta-00u1abcd',
      username: 'Jane.Doe@example.com',
      phones: [
        { number: '+1 (555) 010-2000', extension: '204', type: 'work' },
        { number: '+1 555 010 2999', extension: null, type: 'mobile' },
      ],
      external_id: '00000',
      manager: { name: 'Kim Lee', email: 'kim.lee@example.com' },
      custom_fields: { custom_field_1: 'Tier 2', custom_field_2: null, custom_date_1: '2025-01-31' },
      created_at: '2019-03-05T15:12:45.000Z',
    });
  });

  it('reads a manager referenced by SCIM id as a name without email', () => {
    const unified = scimUserToUnifiedUser({
      schemas: [SCIM_USER_SCHEMA],
      userName: 'x@example.com',
      [SCIM_ENTERPRISE_USER_SCHEMA]: { manager: { value: '2819c223-7f76', displayName: 'Kim Lee' } },
    });
    expect(unified.manager).toEqual({ name: 'Kim Lee', email: null });
  });

  it('treats an absent active flag as active and falls back to userName for the email', () => {
    const unified = scimUserToUnifiedUser({ schemas: [SCIM_USER_SCHEMA], userName: 'x@example.com' });
    expect(unified.status).toBe('active');
    expect(unified.emails).toEqual([{ email: 'x@example.com', type: 'work', is_primary: true }]);
  });
});

function withoutScimIds(user: ReturnType<typeof scimUserToUnifiedUser>): UnifiedUserWritableFields {
  const { scim_id: _id, scim_external_id: _externalId, created_at: _created, updated_at: _updated, ...writable } = user;
  return writable;
}

describe('round trips', () => {
  it.each(users.map((user) => [user.email, user] as const))(
    'KnowBe4 user %s → unified → SCIM → unified keeps every mapped field',
    (_email, raw) => {
      const writable = writableFieldsOf(toUnifiedUser(raw));
      expect(withoutScimIds(scimUserToUnifiedUser(unifiedUserToScimUser(writable)))).toEqual(writable);
    },
  );

  it('unified write → SCIM → unified keeps every writable field', () => {
    expect(withoutScimIds(scimUserToUnifiedUser(unifiedUserToScimUser(fullWrite)))).toEqual(fullWrite);
  });
});

describe('unifiedPatchToScimPatchOps', () => {
  it('names core, enterprise and KnowBe4 paths and removes cleared fields', () => {
    const changes: UnifiedUserWrite = {
      first_name: 'Janet',
      title: null,
      status: 'inactive',
      department: 'Research',
      manager: null,
      custom_fields: { custom_field_2: 'x', custom_date_1: null },
    };
    expect(unifiedPatchToScimPatchOps(changes)).toEqual({
      schemas: [SCIM_PATCH_OP_SCHEMA],
      Operations: [
        { op: 'replace', path: 'name.givenName', value: 'Janet' },
        { op: 'remove', path: 'title' },
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: `${SCIM_ENTERPRISE_USER_SCHEMA}:department`, value: 'Research' },
        { op: 'remove', path: `${SCIM_ENTERPRISE_USER_SCHEMA}:manager` },
        { op: 'replace', path: `${SCIM_KNOWBE4_USER_SCHEMA}:customField2`, value: 'x' },
        { op: 'remove', path: `${SCIM_KNOWBE4_USER_SCHEMA}:customDate1` },
      ],
    });
  });

  it('replaces userName and the primary email together', () => {
    expect(unifiedPatchToScimPatchOps({ username: 'New@Example.com' }).Operations).toEqual([
      { op: 'replace', path: 'userName', value: 'new@example.com' },
      { op: 'replace', path: 'emails', value: [{ value: 'New@Example.com', type: 'work', primary: true }] },
    ]);
  });

  it.each([
    ['phones', { phones: [] }, { op: 'remove', path: 'phoneNumbers' }],
    ['location', { location: 'Tampa' }, { op: 'replace', path: 'addresses', value: [{ type: 'work', locality: 'Tampa', primary: true }] }],
    ['organization', { organizations: [{ name: 'Org' }] }, { op: 'replace', path: `${SCIM_ENTERPRISE_USER_SCHEMA}:organization`, value: 'Org' }],
    ['employee number', { external_id: '007' }, { op: 'replace', path: `${SCIM_ENTERPRISE_USER_SCHEMA}:employeeNumber`, value: '007' }],
    ['language', { languages: [] }, { op: 'remove', path: 'preferredLanguage' }],
  ] as Array<[string, UnifiedUserWrite, unknown]>)('maps %s', (_what, changes, operation) => {
    expect(unifiedPatchToScimPatchOps(changes).Operations).toEqual([operation]);
  });

  it('yields no operations for an empty change set', () => {
    expect(unifiedPatchToScimPatchOps({}).Operations).toEqual([]);
  });

  it('refuses to clear the primary email', () => {
    expect(() => unifiedPatchToScimPatchOps({ username: null })).toThrow(ScimMappingError);
  });
});

describe('scimUserNameFilter', () => {
  it('lower-cases and quotes the value', () => {
    expect(scimUserNameFilter('A"b@Example.com')).toBe('userName eq "a\\"b@example.com"');
  });
});
