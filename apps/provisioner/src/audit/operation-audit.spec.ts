import type { ScimUser } from '@kb4/knowbe4';
import { operationAuditDrafts } from './operation-audit';

const OP = '0b9e1c9a-6a53-4c1c-8f0e-4a1f2f7c9d10';
const scimUser = { id: 'scim-1', userName: 'ada@example.com' } as ScimUser;
const before = { id: '101', username: 'ada@example.com', external_id: 'E1', status: 'active', department: 'R&D', groups: [], updated_at: 'x' };

describe('operationAuditDrafts', () => {
  it('records an update with the fields it changed, naming the user by every id it has', () => {
    const drafts = operationAuditDrafts(OP, { action: 'user_updated', user: scimUser }, { remoteId: '101', before, record: { ...before, department: 'Engineering', updated_at: 'y' } });
    expect(drafts).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'user.updated',
        resource: { user: { id: '101', ids: ['101', 'scim-1'], email: 'ada@example.com', employee_number: 'E1' } },
        changes: [{ field: 'department', from: 'R&D', to: 'Engineering' }],
      },
    ]);
    // the same operation drafts the same ids: a redelivery appends nothing twice
    expect(operationAuditDrafts(OP, { action: 'user_updated', user: scimUser }, { remoteId: '101', before, record: { ...before, department: 'Engineering' } })[0].id).toBe(drafts[0].id);
  });

  it('records an archive as the status change, and nothing for a write that changed nothing', () => {
    expect(operationAuditDrafts(OP, { action: 'user_archived', user: scimUser }, { remoteId: '101', before, record: { ...before, status: 'inactive' } })).toMatchObject([
      { type: 'user.archived', changes: [{ field: 'status', from: 'active', to: 'inactive' }] },
    ]);
    expect(operationAuditDrafts(OP, { action: 'user_updated', user: scimUser }, { remoteId: '101', before, record: before })).toEqual([]);
  });

  it('records a create with its groups joined, memberships per user, and no delete of a group already gone', () => {
    const created = operationAuditDrafts(OP, { action: 'user_created', user: scimUser, joined: [{ id: '7', scimId: 'g-7', name: 'Staff' }] }, { remoteId: null, before: null, record: { ...before, id: 'scim-1' } });
    expect(created.map((draft) => draft.type)).toEqual(['user.created', 'group.member_added']);
    expect(created[1].resource.group).toEqual({ id: '7', name: 'Staff' });
    const removed = operationAuditDrafts(OP, { action: 'member_removed', membership: { groupId: '7', groupScimId: 'g-7', userIds: ['101', '102'], userScimIds: ['s1', 's2'], member: false } }, null);
    expect(removed.map((draft) => [draft.type, draft.resource.user?.ids])).toEqual([
      ['group.member_removed', ['101', 's1']],
      ['group.member_removed', ['102', 's2']],
    ]);
    expect(operationAuditDrafts(OP, { action: 'group_deleted', groupId: '7', deleted: { scimId: 'g-7', alreadyAbsent: true } }, null)).toEqual([]);
  });
});
