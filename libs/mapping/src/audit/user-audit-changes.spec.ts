import { userAuditChanges } from './user-audit-changes';

const ada = {
  id: '101',
  first_name: 'Ada',
  last_name: 'Lovelace',
  username: 'ada@example.com',
  status: 'active',
  department: 'R&D',
  title: null,
  emails: [{ email: 'ada@example.com', type: 'work', is_primary: true }],
  groups: [{ id: '7', name: 'Staff' }],
  phish_prone_percentage: 12.5,
  updated_at: '2026-11-01T00:00:00.000Z',
  last_active_at: '2026-11-01T00:00:00.000Z',
};

describe('userAuditChanges', () => {
  it('records a create with every field it set, from null, leaving empty fields, ids, risk and groups out', () => {
    const [created] = userAuditChanges(null, ada);
    expect(created.type).toBe('user.created');
    expect(created.changes.map((c) => c.field)).toEqual(['department', 'emails', 'first_name', 'last_name', 'status', 'username']);
    expect(created.changes.every((c) => c.from === null)).toBe(true);
  });

  it('records an update with field-level from and to', () => {
    expect(userAuditChanges(ada, { ...ada, department: 'Engineering', title: 'Analyst' })).toEqual([
      {
        type: 'user.updated',
        changes: [
          { field: 'department', from: 'R&D', to: 'Engineering' },
          { field: 'title', from: null, to: 'Analyst' },
        ],
      },
    ]);
  });

  it('records an archive and a reactivation by the status alone', () => {
    expect(userAuditChanges(ada, { ...ada, status: 'inactive' })).toEqual([{ type: 'user.archived', changes: [{ field: 'status', from: 'active', to: 'inactive' }] }]);
    expect(userAuditChanges({ ...ada, status: 'inactive' }, ada)).toEqual([{ type: 'user.reactivated', changes: [{ field: 'status', from: 'inactive', to: 'active' }] }]);
  });

  it('records nothing for sign-ins, risk, group membership, ids or reordered emails', () => {
    const after = {
      ...ada,
      id: '555',
      last_active_at: '2026-11-20T00:00:00.000Z',
      phish_prone_percentage: 40,
      groups: [],
      updated_at: '2026-11-20T00:00:00.000Z',
      emails: [...ada.emails].reverse(),
    };
    expect(userAuditChanges(ada, after)).toEqual([]);
  });
});
