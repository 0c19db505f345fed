/**
 * SCIM 2.0 resources as KnowBe4 accepts them (RFC 7643), with KnowBe4's enterprise and kmsat extensions. The schema
 * URNs are @kb4/mapping's (the pure lib that writes them; it may import only types from here).
 */
import { SCIM_ENTERPRISE_USER_SCHEMA, SCIM_KNOWBE4_USER_SCHEMA } from '@kb4/mapping';

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
  /** KnowBe4's `location`. */
  locality?: string;
  type?: string;
  primary?: boolean;
  formatted?: string;
  streetAddress?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

/**
 * RFC 7643 §4.3 `manager`: `value` is the manager's SCIM id. KnowBe4 keeps managers as name + email, so the mapping
 * writes the manager's email there and, on reads, takes `value` as an email only when it has an '@'.
 */
export interface ScimManagerRef {
  value?: string;
  displayName?: string;
  $ref?: string;
}

export interface ScimEnterpriseUserExtension {
  employeeNumber?: string;
  department?: string;
  division?: string;
  organization?: string;
  manager?: ScimManagerRef;
}

export interface ScimKnowBe4UserExtension {
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
  /** The primary email; required, unique, compared case-insensitively. */
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
  [SCIM_ENTERPRISE_USER_SCHEMA]?: ScimEnterpriseUserExtension;
  [SCIM_KNOWBE4_USER_SCHEMA]?: ScimKnowBe4UserExtension;
  meta?: ScimMeta;
}

/** Body for create/replace; `schemas` is filled in by the client when missing. */
export type ScimUserInput = Omit<ScimUser, 'schemas' | 'id' | 'meta'> & { schemas?: string[] };

export interface ScimGroupMember {
  value: string;
  display?: string;
  $ref?: string;
  type?: string;
}

export interface ScimGroup {
  schemas: string[];
  id?: string;
  displayName: string;
  externalId?: string;
  members?: ScimGroupMember[];
  meta?: ScimMeta;
}

export type ScimGroupInput = Omit<ScimGroup, 'schemas' | 'id' | 'meta'> & { schemas?: string[] };

export interface ScimListResponse<T> {
  schemas: string[];
  totalResults: number;
  startIndex?: number;
  itemsPerPage?: number;
  Resources?: T[];
}

export interface ScimPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'Add' | 'Remove' | 'Replace';
  path?: string;
  value?: unknown;
}

export interface ScimPatchRequest {
  schemas: string[];
  Operations: ScimPatchOperation[];
}

/** RFC 7644 §3.12 error body. `status` is a string in the RFC; some servers send a number. */
export interface ScimErrorBody {
  schemas?: string[];
  status?: string | number;
  scimType?: string;
  detail?: string;
}

export interface ScimListQuery {
  /** 1-based. */
  startIndex?: number;
  count?: number;
  filter?: string;
}
