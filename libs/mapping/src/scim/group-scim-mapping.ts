import type { UnifiedGroupWrite } from '@kb4/contracts';
import type { ScimGroup, ScimPatchRequest } from '@kb4/knowbe4';
import { SCIM_GROUP_SCHEMA, SCIM_PATCH_OP_SCHEMA } from './scim-resources';

/** A SCIM group read back: KnowBe4 SCIM groups are console groups. */
export interface ScimUnifiedGroup {
  scim_id: string | null;
  name: string;
  external_id: string | null;
  member_scim_ids: string[];
}

export function unifiedGroupToScimGroup(input: UnifiedGroupWrite): ScimGroup {
  const group: ScimGroup = { schemas: [SCIM_GROUP_SCHEMA], displayName: input.name };
  if (input.external_id) group.externalId = input.external_id;
  if (input.member_scim_ids && input.member_scim_ids.length > 0) {
    group.members = input.member_scim_ids.map((value) => ({ value }));
  }
  return group;
}

export function scimGroupToUnifiedGroup(scim: ScimGroup): ScimUnifiedGroup {
  return {
    scim_id: scim.id ?? null,
    name: scim.displayName,
    external_id: scim.externalId ?? null,
    member_scim_ids: (scim.members ?? []).map((member) => member.value),
  };
}

/** RFC 7644 §3.5.2.1: one `add` of `members` with every new member. */
export function addGroupMembersPatch(memberScimIds: readonly string[]): ScimPatchRequest {
  return {
    schemas: [SCIM_PATCH_OP_SCHEMA],
    Operations: [{ op: 'add', path: 'members', value: memberScimIds.map((value) => ({ value })) }],
  };
}

/** RFC 7644 §3.5.2.2: `remove` with a value filter; the id is quoted as a JSON string so quotes cannot break it. */
export function removeGroupMemberPatch(memberScimId: string): ScimPatchRequest {
  return {
    schemas: [SCIM_PATCH_OP_SCHEMA],
    Operations: [{ op: 'remove', path: `members[value eq ${JSON.stringify(memberScimId)}]` }],
  };
}
