/**
 * SCIM 2.0 resources (RFC 7643 with KnowBe4's enterprise and kmsat extensions) are the wire types of the SCIM
 * client (@kb4/knowbe4, types and constants only; no HTTP at run time here). The mapping adds what it writes: a
 * PATCH body, stricter than the operations the client accepts.
 */
import { SCIM_PATCH_OP_SCHEMA } from '@kb4/knowbe4';

export {
  SCIM_USER_SCHEMA,
  SCIM_GROUP_SCHEMA,
  SCIM_ENTERPRISE_USER_SCHEMA,
  SCIM_KNOWBE4_USER_SCHEMA,
  SCIM_PATCH_OP_SCHEMA,
  SCIM_LIST_RESPONSE_SCHEMA,
  SCIM_ERROR_SCHEMA,
} from '@kb4/knowbe4';
export type {
  ScimMeta,
  ScimName,
  ScimMultiValued,
  ScimAddress,
  ScimManagerRef,
  ScimEnterpriseUserExtension,
  ScimKnowBe4UserExtension,
  ScimUser,
  ScimGroupMember,
  ScimGroup,
} from '@kb4/knowbe4';

export type ScimPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export interface ScimPatchRequest {
  schemas: [typeof SCIM_PATCH_OP_SCHEMA];
  Operations: ScimPatchOperation[];
}
