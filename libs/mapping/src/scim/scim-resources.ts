/** SCIM 2.0 resource shapes (RFC 7643) restricted to the attributes KnowBe4 reads. */

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_KNOWBE4_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
export const SCIM_PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimMeta {
  resourceType?: string;
  created?: string;
  lastModified?: string;
  location?: string;
  version?: string;
}

export interface ScimName {
  givenName?: string;
  familyName?: string;
  formatted?: string;
}

export interface ScimMultiValued {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

export interface ScimAddress {
  locality?: string;
  type?: string;
  primary?: boolean;
  formatted?: string;
}

/**
 * RFC 7643 §4.3 `manager`: `value` is the manager's SCIM id. We write the manager's email there (we rarely know
 * the SCIM id, and KnowBe4 keeps managers as name + email); on reads `value` counts as an email only if it has '@'.
 */
export interface ScimManager {
  value?: string;
  displayName?: string;
  $ref?: string;
}

export interface ScimEnterpriseUser {
  employeeNumber?: string;
  department?: string;
  division?: string;
  organization?: string;
  manager?: ScimManager;
}

export interface ScimKnowBe4User {
  customField1?: string;
  customField2?: string;
  customField3?: string;
  customField4?: string;
  customDate1?: string;
  customDate2?: string;
}

export interface ScimUser {
  schemas: string[];
  id?: string;
  externalId?: string;
  userName: string;
  name?: ScimName;
  displayName?: string;
  title?: string;
  active?: boolean;
  emails?: ScimMultiValued[];
  phoneNumbers?: ScimMultiValued[];
  addresses?: ScimAddress[];
  preferredLanguage?: string;
  groups?: ScimMultiValued[];
  meta?: ScimMeta;
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'?: ScimEnterpriseUser;
  'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User'?: ScimKnowBe4User;
}

export interface ScimGroupMember {
  value: string;
  display?: string;
  $ref?: string;
}

export interface ScimGroup {
  schemas: string[];
  id?: string;
  externalId?: string;
  displayName: string;
  members?: ScimGroupMember[];
  meta?: ScimMeta;
}

export type ScimPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export interface ScimPatchRequest {
  schemas: [typeof SCIM_PATCH_OP_SCHEMA];
  Operations: ScimPatchOperation[];
}

export interface ScimListResponse<T> {
  schemas: string[];
  totalResults: number;
  startIndex?: number;
  itemsPerPage?: number;
  Resources: T[];
}

export interface ScimError {
  schemas: string[];
  status: string;
  scimType?: string;
  detail?: string;
}
