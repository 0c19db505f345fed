/**
 * The unified records of design.md ("Unified user"): Truto's User Directory fields plus the documented
 * KnowBe4 extensions. Field names are snake_case as Truto answers them.
 */

export type UnifiedUserStatus = 'active' | 'inactive';

/** `work` is the KnowBe4 login (primary); `alias` are KnowBe4's read-only email aliases. */
export type UnifiedEmailType = 'work' | 'alias';

export interface UnifiedEmail {
  email: string;
  type: UnifiedEmailType;
  is_primary: boolean;
}

export type UnifiedPhoneType = 'work' | 'mobile';

export interface UnifiedPhone {
  number: string;
  extension: string | null;
  type: UnifiedPhoneType;
}

export interface UnifiedGroupRef {
  id: string;
  /** Null when the group was not among the groups fetched in the same sync. */
  name: string | null;
}

export interface UnifiedOrganizationRef {
  name: string;
}

export interface UnifiedManager {
  name: string | null;
  email: string | null;
}

export interface UnifiedUser {
  /** KnowBe4 Reporting user id, as a string. */
  id: string;
  /** KnowBe4 `employee_number`, leading zeros kept. */
  external_id: string | null;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  /** The primary email (KnowBe4's login and SCIM `userName`). */
  username: string | null;
  emails: UnifiedEmail[];
  phones: UnifiedPhone[];
  title: string | null;
  status: UnifiedUserStatus;
  groups: UnifiedGroupRef[];
  organizations: UnifiedOrganizationRef[];
  languages: string[];
  created_at: string | null;
  /** KnowBe4 has no modification time; mapping leaves null and the mirror sets it when it sees a change. */
  updated_at: string | null;
  last_active_at: string | null;
  /** The KnowBe4 record exactly as it was handed to the mapper. */
  remote_data: Record<string, unknown>;
  // Extensions beyond Truto's schema, asked for by users of this integration.
  department: string | null;
  division: string | null;
  location: string | null;
  manager: UnifiedManager | null;
  employee_start_date: string | null;
  /** A percentage: 12.5 means 12.5 %. */
  phish_prone_percentage: number | null;
  current_risk_score: number | null;
}

export interface UnifiedGroup {
  /** KnowBe4 Reporting group id, as a string. */
  id: string;
  name: string;
  /** KnowBe4 `group_type`: `console_group`, `smart_group`, … */
  type: string | null;
  status: UnifiedUserStatus;
  member_count: number | null;
  current_risk_score: number | null;
  provisioning_guid: string | null;
  /** KnowBe4 exposes neither time for groups; kept for Truto's shape and filled by the mirror. */
  created_at: string | null;
  updated_at: string | null;
  remote_data: Record<string, unknown>;
}

/** KnowBe4's custom attributes (SCIM KnowBe4 extension `customField1..4`, `customDate1..2`). */
export interface UnifiedCustomFields {
  custom_field_1?: string | null;
  custom_field_2?: string | null;
  custom_field_3?: string | null;
  custom_field_4?: string | null;
  custom_date_1?: string | null;
  custom_date_2?: string | null;
}

/**
 * Every field a product team may write, each present. Names match `UnifiedUser` so a read record's
 * values can be written back unchanged. Not writable, because KnowBe4 SCIM has no attribute for them:
 * email aliases (stripped), phone `extension` and `employee_start_date` (console-only).
 */
export interface UnifiedUserWritableFields {
  username: string | null;
  emails: UnifiedEmail[];
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  status: UnifiedUserStatus;
  phones: UnifiedPhone[];
  location: string | null;
  department: string | null;
  division: string | null;
  organizations: UnifiedOrganizationRef[];
  manager: UnifiedManager | null;
  /** employee_number */
  external_id: string | null;
  languages: string[];
  custom_fields: UnifiedCustomFields;
}

/** A create or update request: any subset of the writable fields. `null` clears a field. */
export type UnifiedUserWrite = Partial<UnifiedUserWritableFields>;

export const UNIFIED_USER_WRITABLE_FIELDS = [
  'username',
  'emails',
  'first_name',
  'last_name',
  'title',
  'status',
  'phones',
  'location',
  'department',
  'division',
  'organizations',
  'manager',
  'external_id',
  'languages',
  'custom_fields',
] as const satisfies ReadonlyArray<keyof UnifiedUserWritableFields>;

/** What a product team may write for a group; SCIM creates console groups only. */
export interface UnifiedGroupWrite {
  name: string;
  /** SCIM `externalId`, the caller's own id for the group. */
  external_id?: string | null;
  /** SCIM user ids of initial members. */
  member_scim_ids?: string[];
}
