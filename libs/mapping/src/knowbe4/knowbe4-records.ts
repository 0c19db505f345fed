/**
 * Structural types for KnowBe4 Reporting API records, as the API returns them.
 * Deliberately not imported from `@kb4/knowbe4`: structural typing keeps the two libs compatible
 * without coupling the pure mapping layer to the HTTP client.
 */

/** A group reference inside a user: a bare id, or an object when `expand=group` was requested. */
export type KnowBe4UserGroupEntry = number | string | { id: number | string; name?: string | null } | null;

/** One point of a risk-score history, as either endpoint or the legacy inline field returns it. */
export interface KnowBe4RiskScorePoint {
  risk_score?: number | string | null;
  date?: string | null;
}

/** A Reporting API user as fetched; every field but `id` may be missing, null or of a legacy type. */
export interface KnowBe4User {
  id: number | string;
  employee_number?: string | number | null;
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  email?: string | null;
  phish_prone_percentage?: number | string | null;
  phone_number?: string | null;
  extension?: string | number | null;
  mobile_phone_number?: string | null;
  location?: string | null;
  division?: string | null;
  manager_name?: string | null;
  manager_email?: string | null;
  provisioning_managed?: boolean | null;
  provisioning_guid?: string | null;
  /** Legacy name of `provisioning_managed`. */
  adi_manageable?: boolean | null;
  /** Legacy name of `provisioning_guid`. */
  adi_guid?: string | null;
  groups?: ReadonlyArray<KnowBe4UserGroupEntry> | null;
  current_risk_score?: number | string | null;
  aliases?: ReadonlyArray<string | null> | null;
  joined_on?: string | null;
  last_sign_in?: string | null;
  status?: string | null;
  organization?: string | null;
  department?: string | null;
  language?: string | null;
  comment?: string | null;
  employee_start_date?: string | null;
  archived_at?: string | null;
  custom_field_1?: string | null;
  custom_field_2?: string | null;
  custom_field_3?: string | null;
  custom_field_4?: string | null;
  custom_date_1?: string | null;
  custom_date_2?: string | null;
  /** Older payloads carried the history inline. */
  risk_score_history?: ReadonlyArray<KnowBe4RiskScorePoint | null> | null;
}

/** A Reporting API group as fetched. */
export interface KnowBe4Group {
  id: number | string;
  name?: string | null;
  group_type?: string | null;
  provisioning_guid?: string | null;
  /** Legacy name of `provisioning_guid`. */
  adi_guid?: string | null;
  member_count?: number | string | null;
  current_risk_score?: number | string | null;
  status?: string | null;
  risk_score_history?: ReadonlyArray<KnowBe4RiskScorePoint | null> | null;
}

export type KnowBe4UserStatus = 'active' | 'archived';

export const KNOWBE4_CUSTOM_FIELD_NAMES = [
  'custom_field_1',
  'custom_field_2',
  'custom_field_3',
  'custom_field_4',
  'custom_date_1',
  'custom_date_2',
] as const;
export type KnowBe4CustomFieldName = (typeof KNOWBE4_CUSTOM_FIELD_NAMES)[number];

/** A risk-score point after normalization: numeric score, `YYYY-MM-DD` date. */
export interface NormalizedRiskScorePoint {
  risk_score: number | null;
  date: string;
}

/**
 * A user after `normalizeKnowBe4User`: current field names, canonical types, blanks as null.
 * Unknown extra fields are kept as they came (index signature), so nothing fetched is lost.
 */
export interface NormalizedKnowBe4User {
  id: number;
  employee_number: string | null;
  first_name: string | null;
  last_name: string | null;
  job_title: string | null;
  email: string | null;
  phish_prone_percentage: number | null;
  phone_number: string | null;
  extension: string | null;
  mobile_phone_number: string | null;
  location: string | null;
  division: string | null;
  manager_name: string | null;
  manager_email: string | null;
  provisioning_managed: boolean;
  provisioning_guid: string | null;
  groups: number[];
  current_risk_score: number | null;
  aliases: string[];
  joined_on: string | null;
  last_sign_in: string | null;
  status: KnowBe4UserStatus;
  organization: string | null;
  department: string | null;
  language: string | null;
  comment: string | null;
  employee_start_date: string | null;
  archived_at: string | null;
  custom_field_1: string | null;
  custom_field_2: string | null;
  custom_field_3: string | null;
  custom_field_4: string | null;
  custom_date_1: string | null;
  custom_date_2: string | null;
  risk_score_history?: NormalizedRiskScorePoint[];
  [extra: string]: unknown;
}

export interface NormalizedKnowBe4Group {
  id: number;
  name: string;
  group_type: string | null;
  provisioning_guid: string | null;
  member_count: number | null;
  current_risk_score: number | null;
  status: KnowBe4UserStatus;
  risk_score_history?: NormalizedRiskScorePoint[];
  [extra: string]: unknown;
}
