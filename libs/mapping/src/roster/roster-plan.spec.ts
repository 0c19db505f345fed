import { reportingUsers } from '../__fixtures__/load-fixture';
import type { UnifiedUserWrite } from '@kb4/contracts';
import { FetchedKnowBe4User, toUnifiedUser } from '../unified/from-knowbe4';
import { isExcludedFromRoster, planRosterArchive, planRosterUser, rosterAttributeChanges, RosterGroupRef, RosterMirrorUser } from './roster-plan';

const groupsById = new Map<number, string>([
  [3264, 'Engineering'],
  [3911, 'Phish Pilots'],
]);

/** Jane Doe of the recorded Reporting fixture, as the mirror stores her. */
function jane(status: 'active' | 'inactive' = 'active'): RosterMirrorUser {
  const { remote_data: _raw, ...record } = toUnifiedUser(reportingUsers()[0] as FetchedKnowBe4User, { groupsById });
  return { id: '667542', userName: 'jane.doe@example.com', scimId: null, status, record: { ...record, status } };
}

const group = (id: string, name: string): RosterGroupRef => ({ id, keyId: id, scimId: null, name });
const context = { groups: new Map([['engineering', group('3264', 'Engineering')], ['sales', group('4100', 'Sales')]]) };

// the row that says exactly what the mirror has (KnowBe4 answers emails in the case they were written)
const same = {
  username: 'JANE.DOE@example.com',
  external_id: '00000',
  first_name: 'Jane',
  last_name: 'Doe',
  title: 'Staff Engineer',
  department: 'Engineering',
  division: 'Platform',
  location: 'Clearwater, FL',
  organizations: [{ name: 'Example Corp' }],
  manager: { email: 'Kim.Lee@example.com' },
  languages: ['en-us'],
} as UnifiedUserWrite;

describe('roster planner (pure)', () => {
  it('plans nothing for a row equal to the mirror record, comparing emails case-insensitively and the manager by the keys sent', () => {
    expect(planRosterUser({ line: 2, user: same, groups: ['Engineering'] }, jane(), context)).toEqual([]);
  });

  it('updates only the changed attributes, with from/to per field', () => {
    const changes = planRosterUser({ line: 7, user: { ...same, department: 'Sales', title: null }, groups: ['Engineering'] }, jane(), context);
    expect(changes).toEqual([
      {
        action: 'update',
        line: 7,
        email: 'jane.doe@example.com',
        target: { id: '667542', userName: 'jane.doe@example.com', scimId: null },
        changes: [
          { field: 'department', from: 'Engineering', to: 'Sales' },
          { field: 'title', from: 'Staff Engineer', to: null },
        ],
        write: { department: 'Sales', title: null },
      },
    ]);
  });

  it('leaves fields the row does not mention alone (phones, custom fields)', () => {
    expect(rosterAttributeChanges({ username: 'jane.doe@example.com' }, jane().record)).toEqual({ changes: [], write: {} });
  });

  it('moves memberships only within the groups the roster manages; unmanaged groups (Phish Pilots) stay', () => {
    const changes = planRosterUser({ line: 3, user: same, groups: ['sales'] }, jane(), context);
    expect(changes.map((c) => [c.action, 'group' in c ? c.group.name : null])).toEqual([
      ['add_member', 'Sales'],
      ['remove_member', 'Engineering'],
    ]);
  });

  it('reactivates an archived person who is back, with the changed attributes in the same write', () => {
    const [change] = planRosterUser({ line: 4, user: { ...same, department: 'Sales' }, groups: ['Engineering'] }, jane('inactive'), context);
    expect(change).toMatchObject({ action: 'reactivate', write: { department: 'Sales', status: 'active' }, changes: [{ field: 'department' }] });
  });

  it('creates a person the mirror does not have, with the named groups resolved once each', () => {
    const changes = planRosterUser({ line: 5, user: { username: 'New.Hire@example.com' }, groups: ['Sales', 'sales', 'Engineering'] }, null, context);
    expect(changes).toEqual([
      { action: 'create', line: 5, email: 'new.hire@example.com', user: { username: 'New.Hire@example.com' }, groups: [group('4100', 'Sales'), group('3264', 'Engineering')] },
    ]);
  });

  it('archives by target, and excludes by email, domain or group', () => {
    expect(planRosterArchive(jane())).toEqual({ action: 'archive', line: null, email: 'jane.doe@example.com', target: { id: '667542', userName: 'jane.doe@example.com', scimId: null } });
    expect(isExcludedFromRoster(jane(), { emails: ['JANE.DOE@example.com'] })).toBe(true);
    expect(isExcludedFromRoster(jane(), { email_domains: ['@example.com'] })).toBe(true);
    expect(isExcludedFromRoster(jane(), { groups: ['phish pilots'] })).toBe(true);
    expect(isExcludedFromRoster(jane(), { emails: ['kim.lee@example.com'], email_domains: ['example.org'], groups: ['Sales'] })).toBe(false);
  });
});
