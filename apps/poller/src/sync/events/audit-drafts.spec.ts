import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { auditDraftsOf, DirectoryMessage } from './audit-drafts';
import { directoryEvent, membershipEvent, syncRunEvent } from './directory-events';

const ctx = { accountId: '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21', runId: '0b9e1c9a-6a53-4c1c-8f0e-4a1f2f7c9d10' };
const ada = { id: '101', first_name: 'Ada', username: 'Ada@Example.com', external_id: 'E1', status: 'active', department: 'R&D', phish_prone_percentage: 3 };

describe('auditDraftsOf', () => {
  it('audits a console edit with from/to, leaving risk-only and training events out', () => {
    const drafts = auditDraftsOf([
      directoryEvent(ctx, 'user', '101', DIRECTORY_EVENT_TYPES.userUpdated, ['a', 'b'], {
        user: ada,
        changes: [{ field: 'department', from: 'Ops', to: 'R&D' }, { field: 'last_active_at', from: null, to: 'x' }],
      }),
      directoryEvent(ctx, 'user', '101', DIRECTORY_EVENT_TYPES.userRiskChanged, ['a', 'b'], { user: ada, changes: [] }),
      directoryEvent(ctx, 'enrollment', '9', DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged, ['a'], {}),
      syncRunEvent(ctx, 'completed', {}),
    ]);
    expect(drafts).toEqual([
      {
        id: expect.any(String),
        type: 'user.updated',
        resource: { user: { id: '101', ids: ['101'], email: 'ada@example.com', employee_number: 'E1' } },
        changes: [{ field: 'department', from: 'Ops', to: 'R&D' }],
      },
    ]);
  });

  it('audits only the difference from our own create when KnowBe4 first lists a user we created', () => {
    const created: DirectoryMessage = directoryEvent(ctx, 'user', '101', DIRECTORY_EVENT_TYPES.userCreated, ['h'], { user: ada });
    expect(auditDraftsOf([created])[0]).toMatchObject({ type: 'user.created' });
    created.auditBefore = { ...ada, id: 'scim-1' };
    expect(auditDraftsOf([created])).toEqual([]);
    created.auditBefore = { ...ada, department: 'Ops' };
    expect(auditDraftsOf([created])).toMatchObject([{ type: 'user.updated', changes: [{ field: 'department', from: 'Ops', to: 'R&D' }] }]);
  });

  it('audits memberships with both the user and the group, with ids stable per event', () => {
    const message = membershipEvent(ctx, 'added', '7', '101', 'h', { id: '7', name: 'Staff' }, ada);
    const [first] = auditDraftsOf([message]);
    expect(first).toMatchObject({ type: 'group.member_added', resource: { user: { id: '101' }, group: { id: '7', name: 'Staff' } } });
    expect(auditDraftsOf([message])[0].id).toBe(first.id);
  });
});
