import { SCIM_GROUP_SCHEMA, SCIM_PATCH_OP_SCHEMA } from './scim-resources';
import {
  addGroupMembersPatch,
  removeGroupMemberPatch,
  scimGroupToUnifiedGroup,
  unifiedGroupToScimGroup,
} from './group-scim-mapping';

describe('group SCIM mapping', () => {
  it('builds a console group with external id and members, and reads it back', () => {
    const scim = unifiedGroupToScimGroup({ name: 'New Hires', external_id: 'hr-42', member_scim_ids: ['u1', 'u2'] });
    expect(scim).toEqual({
      schemas: [SCIM_GROUP_SCHEMA],
      displayName: 'New Hires',
      externalId: 'hr-42',
      members: [{ value: 'u1' }, { value: 'u2' }],
    });
    expect(scimGroupToUnifiedGroup({ ...scim, id: 'g1' })).toEqual({
      scim_id: 'g1',
      name: 'New Hires',
      external_id: 'hr-42',
      member_scim_ids: ['u1', 'u2'],
    });
  });

  it('adds members with one add operation', () => {
    expect(addGroupMembersPatch(['u1', 'u2'])).toEqual({
      schemas: [SCIM_PATCH_OP_SCHEMA],
      Operations: [{ op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }],
    });
  });

  it('removes a member with a quoted value filter', () => {
    expect(removeGroupMemberPatch('a"b').Operations).toEqual([{ op: 'remove', path: 'members[value eq "a\\"b"]' }]);
  });
});
